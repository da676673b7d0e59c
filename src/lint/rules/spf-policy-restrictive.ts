import { isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'spf-policy-restrictive',
    category: 'spf',
    description: 'SPF records end in -all or ~all, never ?all or +all.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 7208 §5.1', 'RFC 7208 §8.2', 'RFC 7208 §8.3'],
    rationale:
      'The `all` term decides what happens to every host the record does not list. `-all` (fail) and `~all` (softfail) ' +
      'let receivers, and DMARC, tell forged mail from real. `?all` (neutral, RFC 7208 §8.2) says nothing, so the record ' +
      'protects nothing; `+all` (pass, §8.3) authorises every host on the Internet to send as the domain, and receivers ' +
      'that score SPF treat it as a sign of spam.',
    fix: 'Set `spf.policy` to "-all" (or "~all" while you confirm every sender is listed).',
    messages: {
      neutral:
        'domain {domain}: SPF ends in ?all (neutral); unlisted hosts are neither authorised nor refused, so the record protects nothing',
      pass: 'domain {domain}: SPF ends in +all; every host on the Internet may send mail as {domain}',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      // A null MX domain, or one with no term to list, publishes "v=spf1 -all" whatever it says.
      const listsSomething =
        domain.senders.length + domain.spf.ip4.length + domain.spf.ip6.length + domain.spf.include.length > 0;
      if (!isReceiving(domain) || !listsSomething) continue;
      const at = domain.spf.at ?? domain.at;
      if (domain.spf.all === '?all') report({ messageId: 'neutral', data: { domain: domain.display }, at });
      else if (domain.spf.all === '+all') report({ messageId: 'pass', data: { domain: domain.display }, at });
    }
  },
});
