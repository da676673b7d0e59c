import { describeKey, keyAt, selectorData } from '../dkim.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-key-valid',
    category: 'dkim',
    description:
      "Each DKIM selector's key file is readable, holds a private key of the selector's algorithm, and matches the public key the selector pins.",
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 6376 §3.6.1', 'RFC 8463 §4.2', 'RFC 6376 §6.1.3'],
    rationale:
      "mxplan publishes each selector's public key from its private key file, and the relays sign with that file. A file " +
      'that is missing or unreadable leaves the selector with no record and its hosts with nothing to sign with; a file ' +
      'holding another kind of key than `algorithm` says publishes and signs with a key nobody planned. A selector may pin ' +
      'its public key as deployed (`publicKey`): a key file that no longer matches it (regenerated, or copied from ' +
      "another selector) signs mail that every receiver's check fails (RFC 6376 §6.1.3), while DNS still holds the old key.",
    fix: 'Run `mxplan keys <topology>` to make missing keys; otherwise point `key` at the right file.',
    messages: {
      missing: 'domain {domain}: selector {selector} has no key file {path}',
      unreadable: 'domain {domain}: selector {selector}: cannot read its key file {path} ({reason})',
      invalid: 'domain {domain}: selector {selector}: key file {path} is not usable: {reason}',
      algorithm: 'domain {domain}: selector {selector} says {algorithm}, but {path} holds {actual}',
      pinned:
        'domain {domain}: selector {selector}: the key in {path} does not match its publicKey; mail signed with it fails DKIM at every receiver',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const selector of domain.dkim) {
        if (selector.removed) continue; // revoked: its key is no longer needed
        const { key } = selector;
        const data = selectorData(selector);
        const at = keyAt(selector);
        if (key.status !== 'ok') {
          if (key.status === 'missing') {
            // A selector that signs nothing (retired, or not yet active) and pins its public key needs
            // no private half now: the record is published from the pin.
            if (!selector.active && selector.pinnedPublicKey !== undefined) continue;
            report({
              messageId: 'missing',
              data,
              at,
              ...((selector.retired || selector.pinnedPublicKey !== undefined) && {
                fix: 'Restore the key file; for a retired selector, pinning its public key with `publicKey` keeps it published without one.',
              }),
            });
          } else report({ messageId: key.status, data: { ...data, reason: key.reason }, at });
          continue;
        }
        if (key.type !== selector.type || (key.type === 'rsa' && key.bits !== selector.bits))
          report({
            messageId: 'algorithm',
            data: { ...data, algorithm: selector.algorithm, actual: describeKey(key) },
            at: selector.fields.algorithm ?? at,
            fix: 'Set `algorithm` to what the key is, or point `key` at a key of the planned algorithm.',
          });
        else if (selector.pinnedPublicKey !== undefined && selector.pinnedPublicKey !== key.publicKey)
          report({
            messageId: 'pinned',
            data,
            at: selector.fields.publicKey ?? at,
            fix: 'Restore the key that matches publicKey, or publish the new one under a new selector.',
          });
      }
    }
  },
});
