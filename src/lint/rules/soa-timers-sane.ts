import { formatDuration } from '../../topology/units.js';
import { defineRule } from '../rule.js';

/** RFC 1912 §2.2 ranges, in seconds. */
const REFRESH = { min: 1200, max: 43200 };
const EXPIRE_MIN = 604800; // one week: Zonemaster's EXPIRE_MINIMUM_VALUE_LOWER
const MINIMUM = { min: 300, max: 86400 }; // RFC 2308 §5: negative caching, minutes to a day

export default defineRule({
  meta: {
    id: 'soa-timers-sane',
    category: 'dns',
    description:
      'SOA refresh, retry, expire and negative-caching TTL lie in the ranges RFC 1912 and RFC 2308 recommend.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1912 §2.2', 'RFC 2308 §5', 'RFC 1035 §3.3.13'],
    rationale:
      'Secondaries poll the primary every refresh and, after a failure, every retry; they stop answering for a zone ' +
      'once expire passes without reaching it (RFC 1035 §3.3.13). A short expire turns a primary outage into the loss ' +
      'of every MX record. Retry must be shorter than refresh or it never applies. The SOA minimum is the negative-' +
      'caching TTL (RFC 2308): too long and a newly added name stays unknown for days; too short and resolvers ask again ' +
      'for every missing name.',
    fix: 'Use refresh 20m-12h, retry below refresh, expire of at least a week (2-4 weeks is usual) and minimum 5m-1d.',
    messages: {
      refresh: 'SOA refresh {value} is outside {min}..{max} (RFC 1912 §2.2)',
      retry:
        'SOA retry {retry} is not shorter than refresh {refresh}; secondaries would never retry sooner than their next refresh',
      expire:
        'SOA expire {value} is shorter than a week; secondaries stop answering for every zone after a primary outage that long',
      expireTooSmall:
        'SOA expire {value} is not longer than refresh plus retry ({sum}); secondaries drop the zone before they have retried',
      minimum: 'SOA minimum (negative-caching TTL) {value} is outside {min}..{max} (RFC 2308 §5)',
    },
  },
  check({ plan, report }) {
    const { soa } = plan;
    const d = formatDuration;
    if (soa.refresh < REFRESH.min || soa.refresh > REFRESH.max) {
      report({
        messageId: 'refresh',
        data: { value: d(soa.refresh), min: d(REFRESH.min), max: d(REFRESH.max) },
        at: soa.at,
      });
    }
    if (soa.retry >= soa.refresh)
      report({ messageId: 'retry', data: { retry: d(soa.retry), refresh: d(soa.refresh) }, at: soa.at });
    if (soa.expire <= soa.refresh + soa.retry)
      report({
        messageId: 'expireTooSmall',
        data: { value: d(soa.expire), sum: d(soa.refresh + soa.retry) },
        at: soa.at,
      });
    else if (soa.expire < EXPIRE_MIN) report({ messageId: 'expire', data: { value: d(soa.expire) }, at: soa.at });
    if (soa.minimum < MINIMUM.min || soa.minimum > MINIMUM.max) {
      report({
        messageId: 'minimum',
        data: { value: d(soa.minimum), min: d(MINIMUM.min), max: d(MINIMUM.max) },
        at: soa.at,
      });
    }
  },
});
