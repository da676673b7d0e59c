import { canReach, familiesOf, hasAddress } from '../facts.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-backup-next-hop',
    category: 'routing',
    description:
      'Every relay-only MX can connect to a more preferred MX host of the domain, to pass on what it queued.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 5321 §3.6.2'],
    rationale:
      'A backup relay holds no mailboxes: it queues the mail it accepts and delivers it to the best MX below its own ' +
      'preference once that host is back (RFC 5321 §5.1). It needs an address family in common with at least one of ' +
      'those hosts: an IPv4-only backup cannot deliver to IPv6-only primaries. Otherwise it accepts mail it can never ' +
      'pass on, and bounces it when its queue lifetime ends.',
    fix: "Give the backup an address in a family the more preferred MX hosts have (or give them one in the backup's family).",
    messages: {
      unreachable:
        'domain {domain}: backup MX {backup} ({families}) can reach none of the more preferred MX hosts ({targets}); mail it queues can never be passed on',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const mx of domain.mx) {
        const relay = mx.host;
        // A relay without addresses is reported by mx-target-planned.
        if (relay?.role !== 'relay' || !hasAddress(relay)) continue;
        const better = [
          ...new Set(
            domain.mx.filter((m) => m.preference < mx.preference && m.host && m.host !== relay).map((m) => m.host!),
          ),
        ];
        // None at all is mx-backup-preference's or mx-primary-store's finding.
        if (better.length === 0 || better.some((target) => canReach(relay, target))) continue;
        const data = {
          domain: domain.display,
          backup: relay.id,
          families: familiesOf(relay),
          targets: listOf(better.map((h) => `${h.id}: ${familiesOf(h)}`)),
        };
        report({ messageId: 'unreachable', data, at: mx.at, related: [relay.at] });
      }
    }
  },
});
