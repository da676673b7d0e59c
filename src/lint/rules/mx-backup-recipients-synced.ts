import { dirname, relative } from 'node:path';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-backup-recipients-synced',
    category: 'routing',
    description:
      'Backup MX hosts of a domain whose users come from a directory export are redeployed whenever the export changes.',
    severity: 'info',
    sets: ['strict'],
    references: ['RFC 5321 §6.2', 'RFC 5321 §3.3', 'Postfix relay_recipient_maps'],
    rationale:
      "mxplan's relays, backups included, validate recipients when RCPT is sent: an unknown user gets 550 at once, so a " +
      'backup never accepts mail it would later bounce to a forged sender (backscatter, RFC 5321 §6.2). The price is that ' +
      'a backup knows only the users it was deployed with. When users come from a CSV export that changes between ' +
      'deployments, a user added to the file but not yet deployed to the backups is refused by them while the primary ' +
      'is down, and the sender receives a bounce. Users written in the topology itself change only with a new plan.',
    fix: 'Redeploy the backup MX hosts whenever the users file changes (for example from the same job that exports it).',
    messages: {
      usersFile:
        'domain {domain} reads its users from {file}; backup MX {backups} {verb} (550) any user added to the file after they were last deployed',
    },
  },
  check({ plan, report }) {
    const base = dirname(plan.file);
    for (const domain of plan.domains.values()) {
      const backups = [...new Set(domain.mx.flatMap((m) => (m.host?.role === 'relay' ? [m.host.id] : [])))];
      if (backups.length === 0) continue;
      let fromFile: string | undefined;
      for (const user of domain.users.values()) {
        if (user.at.file !== plan.file) {
          fromFile = user.at.file;
          break;
        }
      }
      if (!fromFile) continue;
      const data = {
        domain: domain.display,
        file: relative(base, fromFile) || fromFile,
        backups: listOf(backups),
        verb: backups.length === 1 ? 'refuses' : 'refuse',
      };
      report({ messageId: 'usersFile', data, at: domain.at });
    }
  },
});
