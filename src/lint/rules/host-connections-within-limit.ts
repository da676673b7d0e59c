import { userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-connections-within-limit',
    category: 'capacity',
    description:
      "A host's users, times `defaults.connectionsPerUser`, need no more simultaneous connections than its `limits.connections`.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 9051 §7.1.5'],
    rationale:
      'Each user keeps POP/IMAP sessions open (a desktop client and a phone are common), and a host serves only so many ' +
      'at once: past that, clients are refused at peak (an IMAP server answers BYE at the greeting, RFC 9051 §7.1.5) and users see their mail as gone. This is why one server cannot ' +
      'hold everyone. The check multiplies the users homed on the host by the planned connections per user; it runs ' +
      'only where both numbers are given.',
    fix: "Move some users to another store, or raise the host's `limits.connections` if it can serve more.",
    messages: {
      over: 'host {host}: {mailboxes} users × {perUser} connections each need {needed} simultaneous connections at peak, over its limit of {limit}',
    },
  },
  check({ plan, report }) {
    if (plan.connectionsPerUser <= 0) return;
    const { load } = userIndex(plan);
    for (const host of plan.hosts.values()) {
      const limit = host.limits.connections;
      const mailboxes = load.get(host)?.mailboxes ?? 0;
      const needed = Math.ceil(mailboxes * plan.connectionsPerUser);
      if (limit === undefined || needed <= limit) continue;
      report({
        messageId: 'over',
        data: { host: host.id, mailboxes, perUser: plan.connectionsPerUser, needed, limit },
        at: host.fields.limits ?? host.at,
      });
    }
  },
});
