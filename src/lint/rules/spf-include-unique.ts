import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'spf-include-unique',
    category: 'spf',
    description: "A domain's `spf.include` names each domain once.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 7208 §5.2', 'RFC 7208 §4.6.4'],
    rationale:
      'mxplan publishes one SPF record per domain and drops repeated includes, so the record stays valid; but a repeated ' +
      'include in the topology is usually a typo for another provider that was meant to be authorised, whose mail will ' +
      'then fail SPF. Published twice, it would also spend two of the ten DNS lookups (RFC 7208 §4.6.4) on one answer.',
    fix: 'Remove the repeated include, or correct it to the provider that was meant.',
    messages: {
      duplicate: 'domain {domain}: SPF include {include} is listed more than once',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const seen = new Set<string>();
      const reported = new Set<string>();
      for (const include of domain.spf.include) {
        if (!seen.has(include)) seen.add(include);
        else if (!reported.has(include)) {
          reported.add(include);
          report({ messageId: 'duplicate', data: { domain: domain.display, include }, at: domain.spf.at ?? domain.at });
        }
      }
    }
  },
});
