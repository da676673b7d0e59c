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
      'the plan; forward-confirmed reverse DNS depends on it too. When the fqdn is also the EHLO name, as by default, ' +
      'the plan publishes no SPF record for it either (helo-spf-published leaves that to this finding).',
    fix: "Name the host inside one of the plan's zones, or add its zone under `zones:`.",
    messages: {
      outside:
        'host {host}: {fqdn} lies outside every managed zone (domains and zones); the plan publishes no A/AAAA for it{helo}',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    for (const host of plan.hosts.values()) {
      if (!zones.enclosing(host.fqdn))
        report({
          messageId: 'outside',
          data: {
            host: host.id,
            fqdn: host.fqdn,
            helo: host.helo === host.fqdn ? ', nor the SPF record of its EHLO name' : '',
          },
          at: host.fields.fqdn ?? host.at,
        });
    }
  },
});
