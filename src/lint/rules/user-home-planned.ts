import { didYouMean } from '../../topology/did-you-mean.js';
import { userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'user-home-planned',
    category: 'routing',
    description: 'Every user is homed on a planned host.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §3.6.2', 'Postfix transport(5)'],
    rationale:
      'Store and forward needs, for every address, the one host that holds its mailbox: the receiving store delivers ' +
      'locally or forwards there. A home that names no planned host (usually a typo in the topology or in the users ' +
      "export) leaves the user without a mailbox anywhere: every host refuses the address, and the user's mail bounces.",
    fix: 'Home the user on a host id listed under `hosts:`.',
    messages: {
      unknown: 'domain {domain}: user {user} is homed on "{home}", which is not a planned host{hint}',
      unknownMany:
        'domain {domain}: {count} users (first {user}) are homed on "{home}", which is not a planned host{hint}',
    },
  },
  check({ plan, report }) {
    const ids = [...plan.hosts.keys()];
    for (const [domain, groups] of userIndex(plan).homes) {
      for (const group of groups.values()) {
        if (group.home) continue;
        const [first, ...others] = group.sample;
        const data = {
          domain: domain.display,
          user: first!.local,
          home: group.homeId,
          count: group.count,
          hint: didYouMean(group.homeId, ids),
        };
        // One finding per misspelt home, not one per user: a bad export can name it a million times.
        report({
          messageId: group.count === 1 ? 'unknown' : 'unknownMany',
          data,
          at: first!.at,
          related: others.map((u) => u.at),
        });
      }
    }
  },
});
