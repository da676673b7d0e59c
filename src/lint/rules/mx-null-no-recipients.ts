import { count, listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-null-no-recipients',
    category: 'mx',
    description: 'A domain with a null MX plans no users, aliases or senders.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7505 §4.1', 'RFC 7505 §4.2'],
    rationale:
      'A null MX tells every sender that the domain accepts no mail: delivery fails at once with 556 5.1.10 (RFC 7505 §4.1), ' +
      'so users and aliases planned for it can never receive anything. Such a domain also should not send (RFC 7505 §4.2): ' +
      'mxplan publishes `v=spf1 -all` and DMARC `p=reject` for it, so mail its senders send in its name fails.',
    fix: 'Give the domain MX records if it receives mail, or move its users, aliases and senders to a domain that does.',
    messages: {
      users: 'domain {domain} has a null MX (it receives no mail) but plans {users}; their mail fails at once',
      aliases: 'domain {domain} has a null MX (it receives no mail) but plans {aliases}; their mail fails at once',
      senders:
        'domain {domain} has a null MX, so its SPF is "v=spf1 -all", yet it lists senders {senders}; their mail fails SPF',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      if (!domain.nullMx) continue;
      const data = { domain: domain.display };
      const first = domain.users.values().next().value;
      if (first)
        report({ messageId: 'users', data: { ...data, users: count(domain.users.size, 'user') }, at: first.at });
      const aliases = [...domain.aliases.values()];
      if (aliases.length > 0)
        report({
          messageId: 'aliases',
          data: {
            ...data,
            aliases: `${count(aliases.length, 'alias', 'aliases')} (${listOf(aliases.map((a) => a.local))})`,
          },
          at: aliases[0]!.at,
        });
      // Without users, senders can only come from an explicit `senders:` list.
      if (!first && domain.senders.length > 0) {
        report({
          messageId: 'senders',
          data: { ...data, senders: listOf(domain.senders.map((h) => h.id)) },
          at: domain.fields.senders ?? domain.at,
        });
      }
    }
  },
});
