import type { Host } from '../../topology/types.js';
import { aliasReach } from '../delivery.js';
import { canReach, familiesOf, hasAddress, isReceiving, userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'user-home-reachable',
    category: 'routing',
    description:
      "Every store that receives a domain's mail can connect to the home host of each of its users and of every mailbox its aliases reach.",
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §3.6.2', 'RFC 5321 §5.1', 'Postfix transport(5)'],
    rationale:
      "A store MX delivers its own users' mail and forwards the rest to each user's home host, and expands aliases into " +
      'their members, recursively (an alias of an alias expands on the same store), forwarding those too. Backups pass their queue to a store MX (mx-backup-next-hop), so every path ' +
      "of a domain's mail runs through its store MX hosts. A home host is reachable from them when it has an address in " +
      'a family the store also has. A home without any address, or only an IPv6 address behind an IPv4-only store, ' +
      "leaves its users' mail queued on the store until it bounces.",
    fix: 'Give the home host an address in a family every store MX of the domain has, or home the users on a store the MX hosts can reach.',
    messages: {
      noAddress:
        'domain {domain}: {users} {verb} homed on {home}, which has no ipv4 or ipv6 address; no MX host can forward to it',
      unreachable:
        'domain {domain}: MX host {from} ({fromFamilies}) cannot forward to {home} ({homeFamilies}), home of {users}',
      aliasMember:
        'domain {domain}: alias {alias} expands on MX host {from} ({fromFamilies}) to {member}{through}, homed on {home} ({homeFamilies}), which {from} cannot reach',
    },
  },
  check({ plan, report }) {
    const { homes } = userIndex(plan);
    const reach = aliasReach(plan);
    for (const domain of plan.domains.values()) {
      if (!isReceiving(domain)) continue;
      const stores = [
        ...new Set(domain.mx.flatMap((m) => (m.host?.role === 'store' && hasAddress(m.host) ? [m.host] : []))),
      ];
      if (stores.length === 0) continue; // mx-primary-store / mx-target-planned
      const mxHosts = new Set(domain.mx.map((m) => m.host));
      const blocked = (home: Host) => stores.filter((from) => from !== home && !canReach(from, home));

      for (const group of homes.get(domain)!.values()) {
        const home = group.home;
        if (home?.role !== 'store') continue; // user-home-planned / user-home-store
        const [first, ...others] = group.sample;
        const users = group.count === 1 ? `user ${first!.local}` : `${group.count} users (first ${first!.local})`;
        const verb = group.count === 1 ? 'is' : 'are';
        const related = others.map((u) => u.at);
        if (!hasAddress(home)) {
          // As an MX target the same host is already reported by mx-target-planned.
          if (!mxHosts.has(home))
            report({
              messageId: 'noAddress',
              data: { domain: domain.display, users, verb, home: home.id },
              at: first!.at,
              related: [home.at, ...related],
            });
          continue;
        }
        for (const from of blocked(home)) {
          const data = {
            domain: domain.display,
            from: from.id,
            fromFamilies: familiesOf(from),
            home: home.id,
            homeFamilies: familiesOf(home),
            users,
          };
          report({ messageId: 'unreachable', data, at: first!.at, related: [from.at, home.at, ...related] });
        }
      }

      // Mailboxes the domain's aliases reach, at any depth, on homes its own users do not already
      // have (those are reported above, once per home).
      const ownHomes = new Set([...homes.get(domain)!.values()].map((g) => g.home));
      const reported = new Set<Host>();
      for (const alias of domain.aliases.values()) {
        for (const [home, { user, member, through }] of reach.get(alias)?.homes ?? []) {
          if (home.role !== 'store' || !hasAddress(home) || ownHomes.has(home) || reported.has(home)) continue;
          const blockedFrom = blocked(home);
          if (blockedFrom.length > 0) reported.add(home);
          for (const from of blockedFrom) {
            const data = {
              domain: domain.display,
              alias: alias.local,
              member: user.address,
              through: through ? ` (through ${through.address})` : '',
              from: from.id,
              fromFamilies: familiesOf(from),
              home: home.id,
              homeFamilies: familiesOf(home),
            };
            report({ messageId: 'aliasMember', data, at: member.at, related: [from.at, home.at, user.at] });
          }
        }
      }
    }
  },
});
