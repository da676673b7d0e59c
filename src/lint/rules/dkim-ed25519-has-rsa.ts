import { activeSelectors } from '../../topology/dkim.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-ed25519-has-rsa',
    category: 'dkim',
    description: 'A host that signs a domain with Ed25519 also signs it with RSA.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 8463 §6', 'RFC 6376 §6.1'],
    rationale:
      'Ed25519 (RFC 8463) gives short keys and fast signatures, but many verifiers still do not know the algorithm, and a ' +
      'verifier ignores a signature it cannot check (RFC 6376 §6.1): to them the mail is unsigned, and cannot align DKIM ' +
      'for DMARC. RFC 8463 expects signers to add an RSA signature beside the Ed25519 one until support is universal.',
    fix: 'Add an RSA selector (`algorithm: rsa-2048`) that the same hosts sign with.',
    messages: {
      alone:
        'domain {domain}: {host} signs with Ed25519 selector {selector} and no RSA selector; receivers without Ed25519 see its mail unsigned',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const hosts = new Set(domain.dkim.filter((s) => s.active).flatMap((s) => s.signers));
      for (const host of hosts) {
        const selectors = activeSelectors(domain, host.id);
        const ed25519 = selectors.find((s) => s.type === 'ed25519');
        if (ed25519 && !selectors.some((s) => s.type === 'rsa'))
          report({
            messageId: 'alone',
            data: { domain: domain.display, host: host.id, selector: ed25519.selector },
            at: ed25519.at,
          });
      }
    }
  },
});
