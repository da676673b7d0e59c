import { isReceiving } from '../facts.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dmarc-published',
    category: 'dmarc',
    description: 'Every domain that sends mail publishes a DMARC policy.',
    severity: 'info',
    sets: ['strict'],
    references: ['RFC 7489 §6.1', 'RFC 7489 §6.6.3'],
    rationale:
      'Without a record at `_dmarc.<domain>` (RFC 7489 §6.1), receivers apply no policy to mail that fails SPF and DKIM ' +
      "in the domain's name, and nobody sends the domain reports about who uses its name. Large mailbox providers " +
      'also require DMARC from bulk senders. (A domain with a null MX gets `p=reject` from mxplan without asking.)',
    fix: 'Add `dmarc: { policy: none, rua: [dmarc@<domain>] }`, read the reports, then move to quarantine and reject.',
    messages: {
      missing: 'domain {domain} sends mail (from {senders}) but publishes no DMARC policy',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (domain.dmarc || !isReceiving(domain) || domain.senders.length === 0) continue;
      report({
        messageId: 'missing',
        data: { domain: domain.display, senders: listOf(domain.senders.map((h) => h.id)) },
        at: domain.at,
      });
    }
  },
});
