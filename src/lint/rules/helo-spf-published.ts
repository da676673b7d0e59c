import { isReceiving, managedZones } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'helo-spf-published',
    category: 'spf',
    description:
      "Every host's EHLO name has an SPF record that authorises the host: it lies in a managed zone, and is not a mail domain that does not list the host.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 7208 §2.3', 'RFC 7208 §2.4', 'RFC 5321 §4.1.1.1'],
    rationale:
      'Receivers check SPF for the EHLO identity (RFC 7208 §2.3, RECOMMENDED), and for a bounce, whose MAIL FROM is empty, ' +
      "it is the only identity there is (§2.4). mxplan publishes an SPF record at each host's EHLO name listing the " +
      "hosts that use it, but only for names inside its managed zones. A name that is a mail domain's apex already " +
      "carries that domain's record, which lists only the domain's senders. Otherwise the host's bounces and the " +
      'mail it relays get SPF none or fail.',
    fix: "Give the host an EHLO name inside one of the plan's zones (its fqdn is usual), not a mail domain's own name.",
    messages: {
      outside:
        'host {host}: EHLO name {helo} lies outside every managed zone, so the plan publishes no SPF record for it',
      domainApex:
        'host {host}: EHLO name {helo} is mail domain {domain}, whose SPF record does not list {host}; its bounces fail SPF',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    for (const host of plan.hosts.values()) {
      const at = host.fields.helo ?? host.at;
      const domain = plan.domains.get(host.helo);
      if (domain) {
        if (!isReceiving(domain) || !domain.senders.includes(host))
          report({
            messageId: 'domainApex',
            data: { host: host.id, helo: host.helo, domain: domain.display },
            at,
            related: [domain.at],
          });
      } else if (!zones.enclosing(host.helo) && host.helo !== host.fqdn) {
        // An fqdn outside the managed zones (the EHLO name by default) is host-fqdn-in-managed-zone's finding.
        report({ messageId: 'outside', data: { host: host.id, helo: host.helo }, at });
      }
    }
  },
});
