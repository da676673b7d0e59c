import { hasAddress, isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'spf-senders-have-address',
    category: 'spf',
    description: 'Every host that sends for a domain has an address, so the domain\'s SPF record can authorise it.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7208 §5.6', 'RFC 7208 §2.4', 'RFC 7489 §3.1'],
    rationale:
      'mxplan writes each domain\'s SPF record from the addresses of its senders (`senders`, or the stores its users ' +
      'live on) as ip4:/ip6: terms (RFC 7208 §5.6). A sender without an address cannot be listed: its mail for the ' +
      'domain fails SPF at every receiver that checks MAIL FROM (RFC 7208 §2.4), and, without DKIM, fails DMARC too.',
    fix: 'Give the sending host its ipv4/ipv6 addresses, or remove it from the domain\'s senders.',
    messages: {
      noAddress: 'domain {domain}: sender {host} has no ipv4 or ipv6 address, so SPF cannot authorise it; its mail for {domain} fails SPF',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (!isReceiving(domain)) continue; // a null MX domain sends nothing: mx-null-no-recipients
      for (const host of domain.senders) {
        if (!hasAddress(host)) report({ messageId: 'noAddress', data: { domain: domain.display, host: host.id }, at: domain.fields.senders ?? domain.at, related: [host.at] });
      }
    }
  },
});
