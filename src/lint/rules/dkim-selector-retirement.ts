import type { Host, Plan } from '../../topology/types.js';
import { formatDuration } from '../../topology/units.js';
import { selectorData } from '../dkim.js';
import { perPlan } from '../facts.js';
import { defineRule } from '../rule.js';

/** The host whose queue keeps mail longest: signed mail may wait there before a receiver checks it. */
const longestQueue = perPlan((plan: Plan): Host | undefined => {
  let longest: Host | undefined;
  for (const host of plan.hosts.values()) if (!longest || host.queueLifetime > longest.queueLifetime) longest = host;
  return longest;
});

const DAY = 86_400_000;

export default defineRule({
  meta: {
    id: 'dkim-selector-retirement',
    category: 'dkim',
    description:
      'A retired DKIM selector stays published at least the longest queue lifetime after it stopped signing.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 6376 §3.1', 'RFC 6376 §3.6.1'],
    rationale:
      'Selectors exist so that keys can be rotated (RFC 6376 §3.1): a new selector takes over the signing, and the old ' +
      'one is `retired`. A receiver checks a signature when the mail arrives, which for mail that waited in a queue (a ' +
      "backup MX holding it while a store is down) is as long after signing as that queue's lifetime. Once the old " +
      'selector is `removed`, its record is revoked (an empty p=, RFC 6376 §3.6.1) and every message it signed fails ' +
      'DKIM. So `removed` comes no sooner than the longest queue lifetime of the plan after `retired`; a selector is ' +
      'retired before it is removed, so that the day it stopped signing is known.',
    fix: 'Move `removed` to at least the longest queue lifetime after `retired` (or drop it until then).',
    messages: {
      early:
        'domain {domain}: selector {selector} is removed on {removed}, {gap} after it retired on {retired}; mail it signed may wait {lifetime} in the queue of {host} and then fails DKIM',
      notRetired:
        'domain {domain}: selector {selector} is removed on {removed} but never retired; when did it stop signing?',
      notADay: 'domain {domain}: selector {selector}: {field} {day} is not a day of the calendar',
    },
  },
  check({ plan, report }) {
    const host = longestQueue(plan);
    for (const domain of plan.domains.values()) {
      for (const selector of domain.dkim) {
        const { retired, removed } = selector;
        const data = selectorData(selector);
        for (const [field, day] of [
          ['retired', retired],
          ['removed', removed],
        ] as const)
          if (day && Number.isNaN(day.time))
            report({
              messageId: 'notADay',
              data: { ...data, field, day: day.text },
              at: selector.fields[field] ?? selector.at,
            });
        if (!removed || Number.isNaN(removed.time)) continue;
        if (!retired) {
          report({
            messageId: 'notRetired',
            data: { ...data, removed: removed.text },
            at: selector.fields.removed ?? selector.at,
            fix: 'Add `retired` with the day signing with this selector stopped.',
          });
          continue;
        }
        if (Number.isNaN(retired.time) || !host) continue;
        const gap = removed.time - retired.time;
        if (gap >= host.queueLifetime * 1000) continue;
        report({
          messageId: 'early',
          data: {
            ...data,
            removed: removed.text,
            retired: retired.text,
            gap: gap < 0 ? `${-gap / DAY} day(s) before` : `${gap / DAY} day(s)`,
            lifetime: formatDuration(host.queueLifetime),
            host: host.id,
          },
          at: selector.fields.removed ?? selector.at,
          related: [host.fields.queue ?? host.at],
        });
      }
    }
  },
});
