import type { Alias } from '../../topology/types.js';
import { findCycles } from '../graph.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'alias-acyclic',
    category: 'addresses',
    description: 'No alias expands, directly or through other aliases, to itself.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §3.9.1', 'RFC 5321 §6.3'],
    rationale:
      'An alias that reaches itself through its members is a mail loop: each expansion re-delivers the message, until ' +
      "the MTA's expansion limit or the hop limit (RFC 5321 §6.3) stops it with a bounce, after duplicates may already " +
      'have reached the real members along the cycle. Aliases are the only way the plan can loop: relays pass mail only ' +
      'to more preferred MX hosts, and stores deliver to stores.',
    fix: 'Break the cycle: name the users the aliases are meant to reach instead of the alias that leads back.',
    messages: {
      cycle: 'alias {alias} expands to itself: {path}',
    },
  },
  check({ plan, report }) {
    const aliases = [...plan.domains.values()].flatMap((d) => [...d.aliases.values()]);
    // Edges lead from an alias to the aliases among its members; users end the expansion.
    const next = (alias: Alias) =>
      alias.members.flatMap((m) => {
        const target = plan.addresses.get(m.address);
        return target?.kind === 'alias' ? [target.alias] : [];
      });
    for (const cycle of findCycles(aliases, next)) {
      const [start] = cycle;
      report({
        messageId: 'cycle',
        data: { alias: start!.address, path: cycle.map((a) => a.address).join(' → ') },
        at: start!.at,
        related: cycle.slice(1, -1).map((a) => a.at),
      });
    }
  },
});
