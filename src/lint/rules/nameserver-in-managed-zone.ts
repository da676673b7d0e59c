import { managedZones } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'nameserver-in-managed-zone',
    category: 'dns',
    description: 'Name servers lie inside a managed zone, so the plan publishes their addresses.',
    severity: 'info',
    sets: ['strict'],
    references: ['RFC 1034 §4.2.1', 'RFC 2182 §3'],
    rationale:
      'The plan writes A/AAAA records (and glue) only for names inside its managed zones (the mail domains and `zones:`). ' +
      "A name server outside them, such as a DNS provider's, is common and fine, but its addresses are whatever its own " +
      'zone says: the ipv4/ipv6 given here are not published, and the sandbox cannot prove it answers.',
    fix: 'Nothing, if the name server is run by someone else; otherwise add its zone under `zones:`.',
    messages: {
      outside:
        'name server {name} lies outside every managed zone; the plan publishes no address for it, its own zone must',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    for (const ns of plan.nameservers) {
      if (!zones.enclosing(ns.name)) report({ messageId: 'outside', data: { name: ns.name }, at: ns.at });
    }
  },
});
