import { defineRule } from '../rule.js';

const MAX_PREFERENCE = 65535; // RFC 1035 §3.3.9: PREFERENCE is a 16 bit integer

export default defineRule({
  meta: {
    id: 'mx-preference-range',
    category: 'mx',
    description: 'MX preferences are integers from 0 to 65535.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 1035 §3.3.9'],
    rationale:
      'PREFERENCE is an unsigned 16-bit field. A zone file with a value outside 0..65535 fails to load in BIND and Knot, ' +
      'and some tools silently wrap it (ldns turns 70000 into 4464), which reorders the MX set without a word.',
    fix: 'Use a preference from 0 to 65535; lower values are tried first (10, 20, 50 leave room between).',
    messages: {
      outOfRange: 'domain {domain}: MX {target} has preference {preference}, outside 0..65535',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const mx of domain.mx) {
        if (Number.isInteger(mx.preference) && mx.preference >= 0 && mx.preference <= MAX_PREFERENCE) continue;
        report({
          messageId: 'outOfRange',
          data: { domain: domain.display, target: mx.host?.id ?? mx.raw, preference: mx.preference },
          at: mx.at,
        });
      }
    }
  },
});
