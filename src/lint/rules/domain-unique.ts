import { defineRule } from '../rule.js';
import { count } from '../../words.js';

export default defineRule({
  meta: {
    id: 'domain-unique',
    category: 'addresses',
    description: 'Each mail domain is written once, however its name is spelt.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 1035 §2.3.3', 'RFC 5890 §2.3.2.1', 'RFC 5321 §2.4'],
    rationale:
      'Domain names compare without regard to case (RFC 1035 §2.3.3, RFC 5321 §2.4), and an internationalised name ' +
      'has two spellings, its U-label and its A-label (RFC 5890 §2.3.2.1): `acme.example:` and `ACME.example:`, or ' +
      '`bücher.example:` and `xn--bcher-kva.example:`, are one domain written twice. mxplan keeps the first block; the ' +
      "second block's users, aliases and policies are not planned, and their mail is refused with 550.",
    fix: 'Merge the two blocks into one, or correct the name that was meant to be another domain.',
    messages: {
      repeated:
        'domain {display} is {name} again, after the block "{first}": names are case-insensitive and IDN-equal, so this block is ignored{lost}',
    },
  },
  check({ plan, report }) {
    for (const repeated of plan.repeatedDomains) {
      const first = plan.domains.get(repeated.name)!;
      const addresses = repeated.users.size + repeated.aliases.size;
      report({
        messageId: 'repeated',
        data: {
          display: repeated.display,
          name: repeated.name,
          first: first.display,
          lost:
            addresses === 0
              ? ''
              : ` and its ${count(addresses, 'address', 'addresses')} ${addresses === 1 ? 'is' : 'are'} not planned`,
        },
        at: repeated.at,
        related: [first.at],
      });
    }
  },
});
