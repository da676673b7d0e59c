import { RSA_KEY_BITS } from '../../topology/dkim.js';
import { effectiveKey, keyAt, selectorData } from '../dkim.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-key-length-recommended',
    category: 'dkim',
    description: 'RSA DKIM keys are at least 2048 bits long.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 8301 §3.2'],
    rationale:
      'RFC 8301 §3.2: signers SHOULD use RSA keys of at least 2048 bits. 1024-bit keys are still accepted, but are within ' +
      'reach of a well-funded attacker and are the first that large mailbox providers stop trusting. A 2048-bit key is ' +
      "392 base64 characters: two character-strings of one TXT record, which mxplan's zone files and responder split " +
      'and every verifier joins (RFC 6376 §3.6.2.2).',
    fix: 'Publish a 2048-bit key (`algorithm: rsa-2048`) under a new selector, switch to it, and retire this one.',
    messages: {
      weak: 'domain {domain}: selector {selector} signs with an RSA key of {bits} bits; 2048 is the least RFC 8301 recommends',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const selector of domain.dkim) {
        const { type, bits } = effectiveKey(selector);
        // A retired selector is already on its way out (dkim-selector-retirement watches it).
        if (selector.retired || selector.removed || type !== 'rsa') continue;
        if (bits >= RSA_KEY_BITS.min && bits < RSA_KEY_BITS.recommended)
          report({
            messageId: 'weak',
            data: { ...selectorData(selector), bits },
            at: selector.fields.algorithm ?? keyAt(selector),
          });
      }
    }
  },
});
