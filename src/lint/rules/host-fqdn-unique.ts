import type { Host } from '../../topology/types.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-fqdn-unique',
    category: 'dns',
    description: 'No two hosts share an fqdn.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 2181 §5', 'RFC 5321 §5.1'],
    rationale:
      "Senders and the plan's own relays reach a host by its name. Two host entries with one fqdn publish one A/AAAA " +
      'RRset holding the addresses of both (RFC 2181 §5: an RRset is all records of a name and type), so connections ' +
      'meant for one land on either, and an MX or home naming that fqdn resolves to the first entry only.',
    fix: 'Give each host its own fqdn, or merge the two entries into one host.',
    messages: {
      shared: 'host {host} has the same fqdn ({fqdn}) as host {first}; mail for either can reach both',
    },
  },
  check({ plan, report }) {
    const byFqdn = new Map<string, Host>();
    for (const host of plan.hosts.values()) {
      const first = byFqdn.get(host.fqdn);
      if (!first) byFqdn.set(host.fqdn, host);
      else
        report({
          messageId: 'shared',
          data: { host: host.id, fqdn: host.fqdn, first: first.id },
          at: host.fields.fqdn ?? host.at,
          related: [first.at],
        });
    }
  },
});
