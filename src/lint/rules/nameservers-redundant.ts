import type { NameServer } from '../../topology/types.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'nameservers-redundant',
    category: 'dns',
    description: 'The zones have at least two name servers, and no two of them share an address.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1034 §4.1', 'RFC 2182 §5', 'RFC 2182 §3.1'],
    rationale:
      'Every zone must be served by at least two name servers (RFC 1034 §4.1), placed so that one failure cannot take ' +
      'both away (RFC 2182 §3.1, §5). With one, its outage makes every MX, A and SPF record of the plan unresolvable: ' +
      'senders cannot find the mail hosts at all and queue or bounce. Two names on one address are one server.',
    fix: 'List at least two name servers under `dns.nameservers`, on different addresses (ideally different networks).',
    messages: {
      tooFew:
        'the plan has {count} name server{s} ({names}); at least two are needed so one failure does not make every zone unresolvable',
      sharedAddress: 'name servers {first} and {second} share address {address}; they are one server, not two',
    },
  },
  check({ plan, report }) {
    const names = [...new Set(plan.nameservers.map((ns) => ns.name))];
    if (names.length < 2) {
      const data = { count: names.length, s: names.length === 1 ? '' : 's', names: names.join(', ') || 'none' };
      report({ messageId: 'tooFew', data, at: plan.nameservers[0]?.at ?? plan.soa.at });
    }
    const byAddress = new Map<string, NameServer>();
    for (const ns of plan.nameservers) {
      for (const address of new Set([...ns.ipv4, ...ns.ipv6])) {
        const first = byAddress.get(address);
        if (!first) byAddress.set(address, ns);
        else if (first.name !== ns.name)
          report({
            messageId: 'sharedAddress',
            data: { first: first.name, second: ns.name, address },
            at: ns.at,
            related: [first.at],
          });
      }
    }
  },
});
