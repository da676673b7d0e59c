import { userIndex } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-mailboxes-within-limit',
    category: 'capacity',
    description: 'No host is home to more users than its `limits.mailboxes`.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 3463 §3.4'],
    rationale:
      "A host's mailbox limit is the number of mailboxes it was sized (or licensed) for: past it, new mailboxes cannot be " +
      'created, or the host degrades for everyone on it and answers "mail system full" (X.3.1, RFC 3463 §3.4). Spreading users over stores is the reason the plan has several; ' +
      'the limit is only checked where it is given.',
    fix: "Move some users to another store, or raise the host's `limits.mailboxes` if it really holds more.",
    messages: {
      over: 'host {host} is home to {mailboxes} mailboxes, over its limit of {limit}',
    },
  },
  check({ plan, report }) {
    const { load } = userIndex(plan);
    for (const host of plan.hosts.values()) {
      const limit = host.limits.mailboxes;
      const mailboxes = load.get(host)?.mailboxes ?? 0;
      if (limit !== undefined && mailboxes > limit)
        report({ messageId: 'over', data: { host: host.id, mailboxes, limit }, at: host.fields.limits ?? host.at });
    }
  },
});
