import { isReceiving } from '../facts.js';
import { forwardsFor } from '../delivery.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'routing-hops-within-limit',
    category: 'routing',
    description: 'The longest path mail can take through the plan uses at most half of the hop limit.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §6.3', 'RFC 5321 §4.4', 'Postfix hopcount_limit'],
    rationale:
      'Each host adds a Received header, and relays count them to break loops: past the hop limit (Postfix 50, Gmail 50, ' +
      'ZoneMTA 35) the message bounces (RFC 5321 §6.3). Within the plan, the longest path is every backup level, ' +
      'highest preference first (each passes mail to a more preferred MX), then a store MX, then the home store or ' +
      'the outside address an alias names. The forwarding graph has no cycle of its own: relays only pass mail to more ' +
      'preferred MX hosts, stores deliver to stores, and aliases are expanded on the receiving store (a cycle of aliases ' +
      "is alias-acyclic's finding). Mail arrives with hops already spent by the sender's own relays, so the plan keeps " +
      'half of `defaults.hopLimit` for them.',
    fix: 'Use fewer levels of backup MX hosts for the domain, or raise `defaults.hopLimit` if every relay in the path honours it.',
    messages: {
      nearLimit:
        'domain {domain}: mail can pass {hops} planned hosts ({path}), more than half the hop limit of {limit}',
      overLimit:
        'domain {domain}: mail can pass {hops} planned hosts ({path}), reaching the hop limit of {limit}; relays bounce it',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (!isReceiving(domain)) continue;
      const stores = domain.mx.filter((m) => m.host?.role === 'store');
      if (stores.length === 0) continue; // mx-primary-store
      // Each relay acts at its lowest preference (RFC 5321 §5.1 prunes at it); one relay per level is on the path.
      const levels = new Map<number, string>();
      const seen = new Set<string>();
      for (const mx of domain.mx) {
        if (mx.host?.role !== 'relay' || seen.has(mx.host.id)) continue;
        seen.add(mx.host.id);
        if (!levels.has(mx.preference)) levels.set(mx.preference, mx.host.id);
      }
      const relays = [...levels].sort(([a], [b]) => b - a).map(([, id]) => id);
      const forwards = stores.some((m) => forwardsFor(plan, m.host!, domain));
      const path = [...relays, stores[0]!.host!.id, ...(forwards ? ['the next host'] : [])];
      const hops = path.length;
      if (hops * 2 <= plan.hopLimit) continue;
      const data = { domain: domain.display, hops, path: path.join(' → '), limit: plan.hopLimit };
      report({ messageId: hops >= plan.hopLimit ? 'overLimit' : 'nearLimit', data, at: domain.fields.mx ?? domain.at });
    }
  },
});
