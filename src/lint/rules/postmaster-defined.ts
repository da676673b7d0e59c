import { isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'postmaster-defined',
    category: 'addresses',
    description: 'Every receiving domain has a postmaster address (a user or an alias).',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §4.5.1', 'RFC 2142 §5'],
    rationale:
      'RFC 5321 §4.5.1: any system that relays or delivers mail "MUST" accept mail for postmaster at each of its domains. ' +
      'Other operators write to postmaster@ about delivery problems, abuse and blocklistings, and some receivers test ' +
      "that it exists before accepting a domain's mail. mxplan refuses unknown recipients, so without a planned " +
      'postmaster that mail bounces.',
    fix: 'Add a postmaster alias that reaches a person, e.g. `aliases: { postmaster: [admin] }`.',
    messages: {
      missing: 'domain {domain} has no postmaster@ address; every domain that receives mail must accept it',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (isReceiving(domain) && !plan.addresses.has(`postmaster@${domain.name}`))
        report({ messageId: 'missing', data: { domain: domain.display }, at: domain.at });
    }
  },
});
