import { managedZones } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'nameserver-has-address',
    category: 'dns',
    description: 'Every name server inside a managed zone has an address.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 1034 §4.2.1', 'RFC 1912 §2.3'],
    rationale:
      'A name server whose name lies in a zone the plan writes can only be found through the A/AAAA records (and glue) ' +
      'the plan publishes for it (RFC 1034 §4.2.1). Without an address the NS record leads nowhere: BIND refuses to load ' +
      'the zone ("NS has no address records"), and resolvers cannot reach that server, so every zone loses a server.',
    fix: 'Give the name server an ipv4 or ipv6 address under `dns.nameservers`.',
    messages: {
      noAddress:
        'name server {name} lies in managed zone {zone} but has no ipv4 or ipv6 address; the plan cannot publish its A/AAAA or glue',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    for (const ns of plan.nameservers) {
      const zone = zones.enclosing(ns.name);
      // Outside the managed zones its operator publishes the addresses: nameserver-in-managed-zone.
      if (zone && ns.ipv4.length + ns.ipv6.length === 0)
        report({ messageId: 'noAddress', data: { name: ns.name, zone }, at: ns.at });
    }
  },
});
