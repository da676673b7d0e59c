import { mxHosts, mxResolved } from '../facts.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-primary-store',
    category: 'mx',
    description:
      'The MX set of every receiving domain includes a store, so the most preferred MX is never a relay that has nowhere to pass mail.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 974'],
    rationale:
      'A relay that receives mail for a domain looks up its MX records, discards its own entry and every entry at or above ' +
      'its preference, and passes the mail to the best one left (RFC 5321 §5.1). When every MX host is a relay, the most ' +
      'preferred one is left with an empty list: the RFC calls this an error ("mail loops back to myself"), and the mail ' +
      'sits in its queue until it bounces. Relays hold no mailboxes; only a store delivers.',
    fix: 'Make the most preferred MX a store (role: store), and keep relays as backups with larger preference values.',
    messages: {
      noStore:
        'domain {domain}: no MX host is a store ({hosts} {verb} relay-only); the most preferred relay has nowhere to pass the mail',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const hosts = mxHosts(domain);
      // An unplanned target (mx-target-planned) may be the store meant: judging the set would only echo it.
      if (hosts.length === 0 || hosts.some((h) => h.role === 'store') || !mxResolved(domain)) continue;
      const data = {
        domain: domain.display,
        hosts: listOf(hosts.map((h) => h.id)),
        verb: hosts.length === 1 ? 'is' : 'are',
      };
      report({ messageId: 'noStore', data, at: domain.fields.mx ?? domain.at });
    }
  },
});
