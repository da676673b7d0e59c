import { activeSelectors } from '../../topology/dkim.js';
import type { DkimSelector } from '../../topology/types.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-selectors-distinct',
    category: 'dkim',
    description: "A domain's selectors have distinct names, and each host has one active selector per key type.",
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 6376 §3.6.2.2', 'RFC 6376 §3.1'],
    rationale:
      'Each selector publishes one key at `<selector>._domainkey.<domain>`; two selectors of one name put two keys at that ' +
      'name, and a verifier that picks the other one fails the signature (RFC 6376 §3.6.2.2 leaves the choice to it). ' +
      'A host signs with one active selector per key type (one RSA, one Ed25519): during a rotation the new selector is ' +
      'published ahead with `active: false`, then takes over when the old one gets `retired`.',
    fix: 'Rename one of the selectors, or mark the one that waits its turn `active: false`.',
    messages: {
      repeated: 'domain {domain}: selector {selector} is listed twice; both keys would be published at {owner}',
      twoActive:
        'domain {domain}: {host} has {count} active {type} selectors ({selectors}); it signs with one at a time',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const seen = new Map<string, DkimSelector>();
      for (const selector of domain.dkim) {
        const first = seen.get(selector.selector);
        if (!first) seen.set(selector.selector, selector);
        else
          report({
            messageId: 'repeated',
            data: {
              domain: domain.display,
              selector: selector.selector,
              owner: `${selector.selector}._domainkey.${domain.name}`,
            },
            at: selector.at,
            related: [first.at],
          });
      }
      const hosts = new Set(domain.dkim.flatMap((s) => s.signers));
      for (const host of hosts)
        for (const type of ['rsa', 'ed25519'] as const) {
          const active = activeSelectors(domain, host.id).filter((s) => s.type === type);
          if (active.length < 2) continue;
          report({
            messageId: 'twoActive',
            data: {
              domain: domain.display,
              host: host.id,
              count: active.length,
              type: type === 'rsa' ? 'RSA' : 'Ed25519',
              selectors: listOf(active.map((s) => s.selector)),
            },
            at: active[1]!.at,
            related: [active[0]!.at],
          });
        }
    }
  },
});
