import type { Host } from '../../topology/types.js';
import { canReach, familiesOf, hasAddress, userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'login-proxy-reachable',
    category: 'routing',
    description: 'With `logins.proxy`, every store can connect to every other store that is home to users.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5530 §3'],
    rationale:
      'With logins proxied, a user may log in at any store: the store that takes the login opens an IMAP or POP3 ' +
      "connection to the user's home and relays the session. That needs an address family both stores have. An " +
      'IPv4-only store cannot proxy to an IPv6-only home, so users of that home who log in there are refused with a ' +
      'temporary failure (IMAP NO [UNAVAILABLE], RFC 5530 §3) although their mailbox is fine.',
    fix: 'Give the stores an address family in common, or turn `logins.proxy` off and have users log in at their home.',
    messages: {
      unreachable:
        'logins.proxy: store {from} ({fromFamilies}) cannot connect to {home} ({homeFamilies}), home of {users} users; their logins at {from} fail',
    },
  },
  check({ plan, report }) {
    if (!plan.logins.proxy) return;
    const stores = [...plan.hosts.values()].filter((h) => h.role === 'store' && hasAddress(h));
    const { load } = userIndex(plan);
    const homes = stores.filter((h: Host) => (load.get(h)?.mailboxes ?? 0) > 0);
    for (const from of stores) {
      for (const home of homes) {
        if (home === from || canReach(from, home)) continue;
        report({
          messageId: 'unreachable',
          data: {
            from: from.id,
            fromFamilies: familiesOf(from),
            home: home.id,
            homeFamilies: familiesOf(home),
            users: load.get(home)!.mailboxes,
          },
          at: plan.logins.at ?? plan.at,
          related: [from.at, home.at],
        });
      }
    }
  },
});
