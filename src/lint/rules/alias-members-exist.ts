import { closest } from '../../topology/did-you-mean.js';
import type { Domain } from '../../topology/types.js';
import { addressProblem, fateOf, unroutedWhere } from '../addresses.js';
import { defineRule } from '../rule.js';

/** Past this many addresses a "did you mean" costs more than it helps (edit distance to each). */
const HINT_LIMIT = 2000;

export default defineRule({
  meta: {
    id: 'alias-members-exist',
    category: 'addresses',
    description: 'Every alias has members, and each member in a zone the plan serves is a planned address.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §3.9.1', 'RFC 5321 §3.9.2', 'RFC 5321 §5.1'],
    rationale:
      'An alias is expanded on the store that receives it, and each member is delivered on its own (RFC 5321 §3.9). ' +
      "A member in one of the plan's own domains that is neither a user nor an alias is refused by its domain: the " +
      'sender receives a bounce for part of a message it was told was accepted. A member of a domain with a null MX ' +
      'fails the same way, and so does one elsewhere in a zone the plan serves (carol@mail.acme.example, ' +
      "noc@ an infrastructure zone): the plan's own DNS publishes no MX for it and no planned relay accepts it " +
      '(RFC 5321 §5.1). Members in names the plan does not serve are not checked; the plan cannot know them. An ' +
      'alias without members swallows its mail.',
    fix: 'Correct the member to an existing user or alias, define it, or remove it from the alias.',
    messages: {
      unknown: 'domain {domain}: alias {alias} member {member} is not a planned address of {memberDomain}{hint}',
      nullMx:
        'domain {domain}: alias {alias} member {member} is in {memberDomain}, which has a null MX and receives no mail',
      unrouted:
        "domain {domain}: alias {alias} member {member} is in {where}: the plan's DNS gives it no MX, and the member bounces",
      empty: 'domain {domain}: alias {alias} has no members; mail to it goes nowhere',
    },
  },
  check({ plan, report }) {
    const hint = (member: string, domain: Domain): string => {
      if (domain.users.size + domain.aliases.size > HINT_LIMIT) return '';
      const local = member.slice(0, member.lastIndexOf('@'));
      const near = closest(local, [...domain.users.keys(), ...domain.aliases.keys()]);
      return near ? ` (did you mean ${near}@${domain.name}?)` : '';
    };
    for (const domain of plan.domains.values()) {
      for (const alias of domain.aliases.values()) {
        const base = { domain: domain.display, alias: alias.local };
        if (alias.members.length === 0) report({ messageId: 'empty', data: base, at: alias.at });
        for (const member of alias.members) {
          if (addressProblem(member.address)) continue; // address-syntax-valid
          const fate = fateOf(plan, member.address);
          const data = { ...base, member: member.address };
          if (fate.kind === 'null-mx' || fate.kind === 'unknown') {
            const unknown = fate.kind === 'unknown';
            report({
              messageId: unknown ? 'unknown' : 'nullMx',
              data: {
                ...data,
                memberDomain: fate.domain.display,
                hint: unknown ? hint(member.address, fate.domain) : '',
              },
              at: member.at,
              related: [fate.domain.at],
            });
          } else if (fate.kind === 'unrouted') {
            report({ messageId: 'unrouted', data: { ...data, where: unroutedWhere(fate) }, at: member.at });
          }
        }
      }
    }
  },
});
