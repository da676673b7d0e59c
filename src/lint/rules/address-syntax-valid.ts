import { localPartProblem, nfcForm } from '../../topology/names.js';
import { addressProblem } from '../addresses.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'address-syntax-valid',
    category: 'addresses',
    description: 'User and alias local parts, alias members and the SOA contact are valid mail addresses.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §4.1.2', 'RFC 5321 §4.5.3.1.1', 'RFC 6532 §3.1', 'RFC 6532 §3.2', 'RFC 1035 §2.3.4'],
    rationale:
      'SMTP carries addresses as a dot-atom local part of at most 64 octets (RFC 5321 §4.1.2, §4.5.3.1.1) and a domain of ' +
      'host-name syntax. The local part may hold UTF-8 (RFC 6532 §3.2: the relays speak SMTPUTF8), in Unicode NFC ' +
      '(§3.1): "jürgen" written with a combining diaeresis is another string, and mxplan never normalises it behind ' +
      "the user's back. The domain is written as IDNA A-labels. mxplan plans no quoted local parts. The SOA contact is " +
      'published as the first label of the SOA RNAME, so its local part is ASCII. An address outside this syntax is ' +
      'refused by clients before it is sent, or by servers at RCPT: the mailbox exists in the plan but no mail can reach it.',
    fix: "Use letters (UTF-8 in NFC allowed), digits and !#$%&'*+/=?^_`{|}~- in local parts, dots only between them, at most 64 octets.",
    messages: {
      userLocal: 'domain {domain}: user "{local}" {problem}',
      aliasLocal: 'domain {domain}: alias "{local}" {problem}',
      member: 'domain {domain}: alias {alias} member "{member}" {problem}',
      soaContact: 'SOA contact "{contact}" {problem}',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      for (const user of domain.users.values()) {
        const problem = localPartProblem(user.local);
        if (problem)
          report({
            messageId: 'userLocal',
            data: { domain: domain.display, local: user.local, problem },
            at: user.at,
            fix: nfcFix(user.local),
          });
      }
      for (const alias of domain.aliases.values()) {
        const problem = localPartProblem(alias.local);
        if (problem)
          report({
            messageId: 'aliasLocal',
            data: { domain: domain.display, local: alias.local, problem },
            at: alias.at,
            fix: nfcFix(alias.local),
          });
        for (const member of alias.members) {
          const memberProblem = addressProblem(member.address);
          if (memberProblem)
            report({
              messageId: 'member',
              data: { domain: domain.display, alias: alias.local, member: member.raw, problem: memberProblem },
              at: member.at,
              fix: nfcFix(member.address.slice(0, member.address.lastIndexOf('@'))),
            });
        }
      }
    }
    const contactProblem = addressProblem(plan.soa.contact, { published: true });
    if (contactProblem)
      report({
        messageId: 'soaContact',
        data: { contact: plan.soa.contact, problem: contactProblem },
        at: plan.soa.at,
      });
  },
});

/** For a local part not in NFC: the fix that names its NFC form (never applied by mxplan itself). */
function nfcFix(local: string): string | undefined {
  const nfc = nfcForm(local);
  return nfc && `Write "${nfc}" in NFC (the composed characters): save the file with NFC normalisation, or retype it.`;
}
