import { defineRule } from '../rule.js';

/** RFC 7489 §6.4: dmarc-request = "none" / "quarantine" / "reject" (ABNF strings ignore case, RFC 5234 §2.3). */
const POLICIES = new Set(['none', 'quarantine', 'reject']);

export default defineRule({
  meta: {
    id: 'dmarc-policy-valid',
    category: 'dmarc',
    description: 'DMARC `policy` and `subdomainPolicy` are none, quarantine or reject.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7489 §6.3', 'RFC 7489 §6.4', 'RFC 7489 §6.6.3'],
    rationale:
      'The p= tag is required and takes none, quarantine or reject (RFC 7489 §6.3, §6.4); sp= takes the same values. ' +
      'A receiver that finds another value discards the record (§6.6.3), so the domain has no DMARC policy at all: ' +
      'forged mail in its name is not refused, and no reports arrive to say so.',
    fix: 'Set `dmarc.policy` (and `dmarc.subdomainPolicy`, if given) to none, quarantine or reject.',
    messages: {
      policy: 'domain {domain}: DMARC policy "{value}" is not none, quarantine or reject; receivers ignore the record',
      subdomainPolicy:
        'domain {domain}: DMARC subdomainPolicy "{value}" is not none, quarantine or reject; receivers ignore the record',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { dmarc } = domain;
      if (!dmarc) continue;
      if (!POLICIES.has(dmarc.policy.toLowerCase()))
        report({ messageId: 'policy', data: { domain: domain.display, value: dmarc.policy }, at: dmarc.at });
      if (dmarc.subdomainPolicy !== undefined && !POLICIES.has(dmarc.subdomainPolicy.toLowerCase())) {
        report({
          messageId: 'subdomainPolicy',
          data: { domain: domain.display, value: dmarc.subdomainPolicy },
          at: dmarc.at,
        });
      }
    }
  },
});
