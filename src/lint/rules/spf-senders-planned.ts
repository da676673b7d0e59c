import { didYouMean } from '../../topology/did-you-mean.js';
import { hasAddress, isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'spf-senders-planned',
    category: 'spf',
    description:
      "Every host that sends for a domain is a planned host with an address, so the domain's SPF record can authorise it.",
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7208 §5.6', 'RFC 7208 §2.4', 'RFC 7489 §3.1'],
    rationale:
      "mxplan writes each domain's SPF record from the addresses of its senders (`senders`, or the stores its users " +
      'live on) as ip4:/ip6: terms (RFC 7208 §5.6). A sender that names no planned host, or one without an address, ' +
      'cannot be listed: its mail for the domain fails SPF at every receiver that checks MAIL FROM (RFC 7208 §2.4) ' +
      'and, without DKIM, fails DMARC too.',
    fix: 'Name a host id from `hosts:` under `senders`, and give it its ipv4/ipv6 addresses.',
    messages: {
      unknown: 'domain {domain}: sender "{sender}" is not a planned host{hint}; SPF cannot authorise it',
      noAddress:
        'domain {domain}: sender {host} has no ipv4 or ipv6 address, so SPF cannot authorise it; its mail for {domain} fails SPF',
    },
  },
  check({ plan, report }) {
    const ids = [...plan.hosts.keys()];
    for (const domain of plan.domains.values()) {
      if (!isReceiving(domain)) continue; // a null MX domain sends nothing: mx-null-no-recipients
      for (const { raw, at } of domain.unknownSenders) {
        report({ messageId: 'unknown', data: { domain: domain.display, sender: raw, hint: didYouMean(raw, ids) }, at });
      }
      for (const host of domain.senders) {
        if (!hasAddress(host))
          report({
            messageId: 'noAddress',
            data: { domain: domain.display, host: host.id },
            at: domain.fields.senders ?? domain.at,
            related: [host.at],
          });
      }
    }
  },
});
