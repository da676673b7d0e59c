import type { Domain } from '../../topology/types.js';
import { isReceiving } from '../facts.js';
import { findCycles } from '../graph.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

/** RFC 7208 §4.6.4: more DNS-querying terms than this is a permerror. */
const LOOKUP_LIMIT = 10;

export default defineRule({
  meta: {
    id: 'spf-lookups-within-limit',
    category: 'spf',
    description:
      "Evaluating a domain's SPF record needs at most 10 DNS lookups, counting included planned domains recursively, and includes never loop.",
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7208 §4.6.4', 'RFC 7208 §5.2'],
    rationale:
      'Receivers stop after 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) and return permerror ' +
      "(RFC 7208 §4.6.4), so SPF fails for all of the domain's mail. mxplan lists planned senders as ip4:/ip6: terms, " +
      'which cost nothing; each include costs one lookup plus the lookups of the record it includes. An include of ' +
      "one of the plan's own domains is counted through that domain's record; an outside include is counted as one " +
      '(its own terms are unknown here, so the real count may be higher). Includes that lead back to the domain form ' +
      'a loop, also a permerror.',
    fix: 'Include fewer providers, or replace an include with the ip4:/ip6: networks it stands for (`spf.ip4`, `spf.ip6`).',
    messages: {
      tooMany:
        'domain {domain}: SPF needs at least {lookups} DNS lookups (includes {includes}); receivers give up after 10 and SPF fails',
      loop: 'domain {domain}: SPF includes loop back to it ({path}); receivers return permerror',
    },
  },
  check({ plan, report }) {
    // A null MX domain publishes "v=spf1 -all" whatever it lists; repeated includes are published once.
    const includes = (domain: Domain) => (isReceiving(domain) ? [...new Set(domain.spf.include)] : []);
    const planned = (domain: Domain) => includes(domain).flatMap((name) => plan.domains.get(name) ?? []);

    const looping = new Set<Domain>();
    for (const cycle of findCycles(plan.domains.values(), planned)) {
      const [start] = cycle;
      for (const d of cycle) looping.add(d);
      report({
        messageId: 'loop',
        data: { domain: start!.display, path: cycle.map((d) => d.name).join(' → ') },
        at: start!.spf.at ?? start!.at,
      });
    }

    const counted = new Map<Domain, number>();
    const lookups = (domain: Domain): number => {
      let total = counted.get(domain);
      if (total !== undefined) return total;
      counted.set(domain, 0); // a loop (reported above) contributes its includes once
      total = 0;
      for (const name of includes(domain)) {
        const included = plan.domains.get(name);
        total += 1 + (included && !looping.has(included) ? lookups(included) : 0);
      }
      counted.set(domain, total);
      return total;
    };
    for (const domain of plan.domains.values()) {
      const total = lookups(domain);
      if (total > LOOKUP_LIMIT)
        report({
          messageId: 'tooMany',
          data: { domain: domain.display, lookups: total, includes: listOf(includes(domain)) },
          at: domain.spf.at ?? domain.at,
        });
    }
  },
});
