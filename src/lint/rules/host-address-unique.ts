import { hostsByAddress } from '../facts.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-address-unique',
    category: 'dns',
    description: 'No two mail hosts share an address.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 1912 §2.1', 'RFC 5321 §5.1'],
    rationale:
      'An address reaches one machine. When two planned hosts claim it, whichever machine holds the address receives ' +
      "the SMTP connections meant for both, so mail for the other host's users or domains arrives at the wrong store; " +
      'and its PTR record can name only one of them, so the other fails forward-confirmed reverse DNS (RFC 1912 §2.1). ' +
      'Two names for one machine belong in one host entry.',
    fix: 'Give each host its own address, or merge the two entries into one host.',
    messages: {
      shared:
        'hosts {hosts} share address {address}; one machine answers SMTP for all of them, and its PTR can name only one',
    },
  },
  check({ plan, report }) {
    for (const [address, hosts] of hostsByAddress(plan)) {
      if (hosts.length < 2) continue;
      const last = hosts.at(-1)!;
      const field = last.ipv4.includes(address) ? last.fields.ipv4 : last.fields.ipv6;
      report({
        messageId: 'shared',
        data: { hosts: listOf(hosts.map((h) => h.id)), address },
        at: field ?? last.at,
        related: hosts.slice(0, -1).map((h) => h.at),
      });
    }
  },
});
