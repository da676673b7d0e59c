import { managedZones } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-fqdn-in-managed-zone',
    category: 'dns',
    description: "Every mail host's fqdn lies inside a managed zone, so the plan publishes its A/AAAA records.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 1912 §2.1'],
    rationale:
      'MX records and the forwarding between stores reach a host through the A/AAAA records of its fqdn (RFC 5321 §5.1). ' +
      'The plan writes those only for names inside its managed zones (the mail domains and `zones:`). For a host ' +
      'outside them, someone else must publish matching addresses, and nothing checks that they do or that they match ' +
      'the plan; forward-confirmed reverse DNS depends on it too.',
    fix: "Name the host inside one of the plan's zones, or add its zone under `zones:`.",
    messages: {
      outside:
        'host {host}: {fqdn} lies outside every managed zone (domains and zones); the plan publishes no A/AAAA for it',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    for (const host of plan.hosts.values()) {
      if (!zones.enclosing(host.fqdn))
        report({ messageId: 'outside', data: { host: host.id, fqdn: host.fqdn }, at: host.fields.fqdn ?? host.at });
    }
  },
});
