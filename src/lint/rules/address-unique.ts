import { segmentsOf } from '../../topology/source-map.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'address-unique',
    category: 'addresses',
    description: 'Each address has one meaning: one user, or one alias, defined once however it is spelt.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §3.9', 'RFC 5321 §2.3.11'],
    rationale:
      'An address must lead to exactly one place. A user defined twice (in the topology and in the users file, or twice ' +
      'in the file) may name two different homes: mxplan keeps the first and the other home never sees the mail. An ' +
      "address that is both a user and an alias is delivered to the user, and the alias's members never get it. Local " +
      'parts are case-insensitive, so `Sales:` and `sales:` are one alias written twice: the second is ignored.',
    fix: 'Keep one definition of the address: remove the repeated user, or rename the alias.',
    messages: {
      repeatedUser:
        'domain {domain}: user {local} is defined again (homed on "{home}"); the first definition (homed on "{firstHome}") is kept and this one ignored',
      repeatedAlias:
        'domain {domain}: alias {local} is defined again (as "{written}"); local parts are case-insensitive, so the first definition is kept and this one ignored',
      userAndAlias:
        'domain {domain}: {local} is both a user (homed on "{home}") and an alias; mail goes to the user and the alias is never used',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const repeated of domain.repeatedUsers) {
        const first = domain.users.get(repeated.local)!;
        report({
          messageId: 'repeatedUser',
          data: { domain: domain.display, local: repeated.local, home: repeated.homeId, firstHome: first.homeId },
          at: repeated.at,
          related: [first.at],
        });
      }
      for (const repeated of domain.repeatedAliases) {
        report({
          messageId: 'repeatedAlias',
          data: { domain: domain.display, local: repeated.local, written: writtenKey(repeated.at.path) },
          at: repeated.at,
          related: [domain.aliases.get(repeated.local)!.at],
        });
      }
      for (const alias of domain.aliases.values()) {
        const user = domain.users.get(alias.local);
        if (user)
          report({
            messageId: 'userAndAlias',
            data: { domain: domain.display, local: alias.local, home: user.homeId },
            at: alias.at,
            related: [user.at],
          });
      }
    }
  },
});

/** The key as the topology wrote it: the last segment of its pointer. */
function writtenKey(path: string): string {
  return segmentsOf(path).at(-1) ?? '';
}
