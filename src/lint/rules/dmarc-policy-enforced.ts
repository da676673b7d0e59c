import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dmarc-policy-enforced',
    category: 'dmarc',
    description: 'DMARC policies ask receivers to act (quarantine or reject), not only to report.',
    severity: 'info',
    sets: ['strict'],
    references: ['RFC 7489 §6.3', 'RFC 7489 §6.7'],
    rationale:
      'p=none is a monitoring mode: receivers report but deliver forged mail as if there were no policy (RFC 7489 §6.3). ' +
      'It is the right first step while the reports show which senders still fail SPF and DKIM, and the wrong place to ' +
      'stay: the domain stays open to spoofing. The same holds for sp=none and the subdomains.',
    fix: 'Once reports show every legitimate sender passing, set `dmarc.policy` to quarantine, then reject.',
    messages: {
      policyNone: 'domain {domain}: DMARC policy is none; forged mail in its name is still delivered',
      subdomainNone:
        'domain {domain}: DMARC subdomainPolicy is none; forged mail from its subdomains is still delivered',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { dmarc } = domain;
      if (!dmarc) continue;
      if (dmarc.policy.toLowerCase() === 'none')
        report({ messageId: 'policyNone', data: { domain: domain.display }, at: dmarc.at });
      if (dmarc.subdomainPolicy?.toLowerCase() === 'none')
        report({ messageId: 'subdomainNone', data: { domain: domain.display }, at: dmarc.at });
    }
  },
});
