import { isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'abuse-defined',
    category: 'addresses',
    description: 'Every receiving domain has an abuse address (a user or an alias).',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 2142 §4'],
    rationale:
      'RFC 2142 §4 names abuse@ as the mailbox for reports of inappropriate behaviour from a domain, and blocklist operators ' +
      'and other providers write there before they block. mxplan refuses unknown recipients, so without a planned ' +
      'abuse address those reports bounce and the first sign of a compromised account is a blocklisting.',
    fix: 'Add an abuse alias that reaches a person, e.g. `aliases: { abuse: [admin] }`.',
    messages: {
      missing: 'domain {domain} has no abuse@ address; abuse reports to it bounce',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (isReceiving(domain) && !plan.addresses.has(`abuse@${domain.name}`))
        report({ messageId: 'missing', data: { domain: domain.display }, at: domain.at });
    }
  },
});
