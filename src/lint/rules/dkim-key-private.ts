import { exposedMode } from '../../topology/dkim.js';
import { keyAt, selectorData } from '../dkim.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-key-private',
    category: 'dkim',
    description: 'A DKIM private key file is readable by its owner only (mode 0600 or stricter).',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 6376 §8.2'],
    rationale:
      "Whoever can read a selector's private key can sign mail in the domain's name that passes DKIM, and with it DMARC, " +
      'at every receiver, for as long as the key is published (RFC 6376 §8.2). A key file that its group or other users ' +
      'may read or write is refused, as OpenDKIM refuses it (RequireSafeKeys). The mode is checked where the file system ' +
      'keeps POSIX modes (not on Windows). Git keeps no modes: a checkout writes files 0644, so a repository that commits ' +
      'test keys (as the examples do) turns this rule off for them in `lint.rules`, and real keys stay out of git.',
    fix: 'Run `chmod 600` on the key file (and keep private keys out of version control).',
    messages: {
      exposed: 'domain {domain}: selector {selector}: key file {path} is readable by others (mode {mode})',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const selector of domain.dkim) {
        const { key } = selector;
        if (key.status !== 'ok' || !exposedMode(key.mode)) continue;
        report({
          messageId: 'exposed',
          data: { ...selectorData(selector), mode: `0${key.mode!.toString(8).padStart(3, '0')}` },
          at: keyAt(selector),
          fix: `Run \`chmod 600 ${selector.keyPath}\` (relative to the topology), and keep private keys out of version control.`,
        });
      }
    }
  },
});
