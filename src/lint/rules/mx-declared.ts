import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-declared',
    category: 'mx',
    description: 'Every domain states its MX records, or `mx: null` when it receives no mail.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 7505 §3'],
    rationale:
      'Without MX records, senders fall back to the implicit MX: they deliver to the A/AAAA records of the domain name ' +
      "itself (RFC 5321 §5.1). mxplan publishes no address at a mail domain's apex unless a host is named so, so mail " +
      'to such a domain bounces, or reaches a web server. A domain that receives nothing should say so with a null MX ' +
      '(RFC 7505), which senders honour at once instead of retrying.',
    fix: 'Add `mx:` with at least one planned host, or write `mx: null` if the domain receives no mail.',
    messages: {
      missing: 'domain {domain} has no `mx` key; senders fall back to the address of {domain} itself (the implicit MX)',
      empty:
        'domain {domain}: `mx` is an empty list; senders fall back to the address of {domain} itself (the implicit MX)',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (domain.nullMx || domain.mx.length > 0) continue;
      const data = { domain: domain.display };
      if (domain.mxDeclared) report({ messageId: 'empty', data, at: domain.fields.mx ?? domain.at });
      else report({ messageId: 'missing', data, at: domain.at });
    }
  },
});
