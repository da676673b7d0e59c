import { userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'user-home-store',
    category: 'routing',
    description: 'Users are homed on stores, never on relay-only hosts.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'Postfix STANDARD_CONFIGURATION_README'],
    rationale:
      'A relay (a backup MX) holds no mailboxes: it queues what it accepts and passes it to a more preferred MX. ' +
      'A user homed on a relay makes it the final destination of that address, which it cannot be: mail forwarded to ' +
      'it waits in its queue and bounces when the queue lifetime ends. Postfix documents the same mistake: a backup ' +
      'MX must not list the domain as final (mydestination, virtual mailbox domains).',
    fix: 'Home the user on a store, or make the host a store (role: store) if it is meant to hold mailboxes.',
    messages: {
      relay:
        "domain {domain}: user {user} is homed on {home}, a relay-only host; relays hold no mailboxes, so the user's mail is queued and finally bounced",
      relayMany:
        'domain {domain}: {count} users (first {user}) are homed on {home}, a relay-only host; relays hold no mailboxes, so their mail is queued and finally bounced',
    },
  },
  check({ plan, report }) {
    for (const [domain, groups] of userIndex(plan).homes) {
      for (const group of groups.values()) {
        if (group.home?.role !== 'relay') continue;
        const [first, ...others] = group.sample;
        const data = { domain: domain.display, user: first!.local, home: group.home.id, count: group.count };
        report({
          messageId: group.count === 1 ? 'relay' : 'relayMany',
          data,
          at: first!.at,
          related: [group.home.at, ...others.map((u) => u.at)],
        });
      }
    }
  },
});
