import { formatDuration } from '../../topology/units.js';
import { defineRule } from '../rule.js';

const EXPIRE = { min: 1209600, max: 2419200 }; // RFC 1912 §2.2: 2-4 weeks

export default defineRule({
  meta: {
    id: 'soa-expire-recommended',
    category: 'dns',
    description: 'SOA expire is between 2 and 4 weeks, as RFC 1912 recommends.',
    severity: 'info',
    sets: ['strict'],
    references: ['RFC 1912 §2.2'],
    rationale:
      'RFC 1912 §2.2 recommends an expire of 2 to 4 weeks: long enough that secondaries keep serving the mail records ' +
      'through a long outage of the primary, short enough that a server cut off from it for a month stops serving stale ' +
      'data. soa-timers-sane warns below one week; this rule states the recommendation.',
    fix: 'Set `dns.soa.expire` to between 2w and 4w.',
    messages: {
      outside: 'SOA expire {value} is outside the recommended {min}..{max}',
    },
  },
  check({ plan, report }) {
    const { expire, at } = plan.soa;
    if (expire < EXPIRE.min || expire > EXPIRE.max) {
      report({
        messageId: 'outside',
        data: { value: formatDuration(expire), min: formatDuration(EXPIRE.min), max: formatDuration(EXPIRE.max) },
        at,
      });
    }
  },
});
