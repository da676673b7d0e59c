import type { MxEntry } from '../../topology/types.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-targets-unique',
    category: 'mx',
    description: 'A domain lists each MX host once.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1'],
    rationale:
      'Two MX records naming one host give no redundancy: when the host is down, the sender retries the same machine ' +
      'and spends its address and session limits on it (Postfix tries 5 addresses per delivery). A relay also prunes ' +
      'itself from the list at its lowest preference (RFC 5321 §5.1), so the second record is never used. It is usually ' +
      'a typo for another host.',
    fix: 'Remove the repeated record, or name the host that was meant.',
    messages: {
      duplicate:
        'domain {domain}: MX host {target} is listed twice (preferences {firstPreference} and {preference}); the second record adds no redundancy',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const seen = new Map<string, MxEntry>();
      // Written order (the index ending each entry's pointer), so the finding lands on the entry written second.
      for (const mx of [...domain.mx].sort((a, b) => writtenIndex(a) - writtenIndex(b))) {
        if (mx.exchange === '') continue; // the null MX root: mx-null-alone
        const key = mx.host ? `host:${mx.host.id}` : `name:${mx.exchange}`;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, mx);
          continue;
        }
        const data = {
          domain: domain.display,
          target: mx.host?.id ?? mx.exchange,
          firstPreference: first.preference,
          preference: mx.preference,
        };
        report({ messageId: 'duplicate', data, at: mx.at, related: [first.at] });
      }
    }
  },
});

function writtenIndex(mx: MxEntry): number {
  return Number(mx.at.path.slice(mx.at.path.lastIndexOf('/') + 1));
}
