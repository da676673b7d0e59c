import { addressProblem, addressUses, fateOf, nearMiss } from '../addresses.js';
import { domainOf } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'address-domain-not-misspelt',
    category: 'addresses',
    description: 'No address the plan sends mail to lies in a domain one letter away from a domain or zone it serves.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 5321 §3.9'],
    rationale:
      "An address in a name the plan does not serve leaves the plan: the store looks up that domain's MX and hands the " +
      'mail to whoever runs it (RFC 5321 §5.1). When the name is one letter away from a domain the plan serves ' +
      '(`anna@bakery.exmaple` beside `bakery.example`: a letter added, dropped, changed, or two swapped), it is almost ' +
      'always a typo: the mail bounces for want of such a domain, or, worse, reaches whoever registered the typo. ' +
      "Alias members, the SOA contact and the plan's DMARC and TLS-RPT report addresses are checked.",
    fix: 'Correct the domain to the one the plan serves, or, if the other domain is meant, ignore this rule for it.',
    messages: {
      nearMiss: '{owner}: {address} is in {name}, which the plan does not serve; did you mean {suggestion}?',
    },
  },
  check({ plan, report }) {
    for (const { address, at, owner } of addressUses(plan)) {
      if (addressProblem(address) || fateOf(plan, address).kind !== 'outside') continue;
      const name = domainOf(address);
      const near = nearMiss(plan, name);
      if (!near) continue;
      const suggestion = `${address.slice(0, address.lastIndexOf('@'))}@${near}`;
      report({ messageId: 'nearMiss', data: { owner, address, name, suggestion }, at });
    }
  },
});
