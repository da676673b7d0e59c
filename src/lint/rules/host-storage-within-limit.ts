import { formatSize } from '../../topology/units.js';
import { userIndex } from '../facts.js';
import { count } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-storage-within-limit',
    category: 'capacity',
    description: "The quotas of a host's mailboxes add up to no more than its `limits.storage`.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §4.2.3', 'RFC 3463 §3.4'],
    rationale:
      'Quotas promise each user room for mail. When the promises add up to more than the disk, the disk fills before ' +
      'the quotas do, and then every user on the host gets temporary failures (452, RFC 5321 §4.2.3 "insufficient system ' +
      'storage"): mail queues at the senders and at the plan\'s own backups, and bounces if the disk stays full. Users ' +
      'without a quota are not counted.',
    fix: "Move some users to another store, lower their quotas, or raise the host's `limits.storage`.",
    messages: {
      over: 'host {host}: the quotas of its mailboxes add up to {total}, over its storage of {limit}{note}',
    },
  },
  check({ plan, report }) {
    const { load } = userIndex(plan);
    for (const host of plan.hosts.values()) {
      const limit = host.limits.storage;
      const hostLoad = load.get(host);
      if (limit === undefined || !hostLoad || hostLoad.quota <= limit) continue;
      const note =
        hostLoad.withoutQuota > 0
          ? ` (${count(hostLoad.withoutQuota, 'mailbox', 'mailboxes')} without a quota not counted)`
          : '';
      report({
        messageId: 'over',
        data: { host: host.id, total: formatSize(hostLoad.quota), limit: formatSize(limit), note },
        at: host.fields.limits ?? host.at,
      });
    }
  },
});
