import { RSA_KEY_BITS } from '../../topology/dkim.js';
import { effectiveKey, keyAt, selectorData } from '../dkim.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-key-length-allowed',
    category: 'dkim',
    description: 'RSA DKIM keys are 1024 to 4096 bits long: what every verifier must accept.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 8301 §3.2', 'RFC 6376 §3.3.3'],
    rationale:
      'RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits, and verifiers need only validate keys of 1024 to ' +
      '4096 bits. A shorter key can be factored and is refused by verifiers (mailauth, Gmail and others treat it as no ' +
      'signature at all); a longer one may not be verified by every receiver, and its record no longer fits one UDP answer ' +
      'of most resolvers.',
    fix: 'Make a key of 2048 bits (`algorithm: rsa-2048`) under a new selector, and retire this one.',
    messages: {
      short:
        'domain {domain}: selector {selector} signs with an RSA key of {bits} bits, shorter than the 1024 bits RFC 8301 requires',
      long: 'domain {domain}: selector {selector} signs with an RSA key of {bits} bits; verifiers need only handle 4096',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const selector of domain.dkim) {
        const { type, bits } = effectiveKey(selector);
        if (selector.removed || type !== 'rsa') continue;
        if (bits < RSA_KEY_BITS.min || bits > RSA_KEY_BITS.max)
          report({
            messageId: bits < RSA_KEY_BITS.min ? 'short' : 'long',
            data: { ...selectorData(selector), bits },
            at: selector.fields.algorithm ?? keyAt(selector),
          });
      }
    }
  },
});
