import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-null-alone',
    category: 'mx',
    description: 'A null MX is written `mx: null`: the only MX record of its domain, with preference 0.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7505 §3', 'RFC 7505 §4.1'],
    rationale:
      'RFC 7505 §3: a domain that accepts no mail publishes exactly one MX record, preference 0 and exchange "." (the root), ' +
      'and "MUST NOT" publish any other MX. Mixed with real MX records, or with another preference, senders may treat ' +
      'it as a broken host and keep retrying, or skip it and deliver: the intent is lost either way. mxplan writes the ' +
      'null MX for `mx: null`; a "." inside the list is not recognised as one.',
    fix: 'Write `mx: null` (and nothing else) for a domain that receives no mail, or remove the "." entry.',
    messages: {
      rootEntry:
        'domain {domain}: MX entry "." is a null MX written as a list entry; write `mx: null` for a domain that receives no mail',
      mixed: 'domain {domain}: null MX "." is listed together with {others}; a null MX must be the only MX record',
      nonZero: 'domain {domain}: null MX "." has preference {preference}; RFC 7505 requires 0',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const others = domain.mx.filter((m) => m.exchange !== '');
      for (const mx of domain.mx) {
        if (mx.exchange !== '') continue;
        const data = {
          domain: domain.display,
          preference: mx.preference,
          others: others.map((m) => m.host?.id ?? m.raw).join(', '),
        };
        const messageId = others.length > 0 ? 'mixed' : mx.preference !== 0 ? 'nonZero' : 'rootEntry';
        report({ messageId, data, at: mx.at, related: others.map((m) => m.at) });
      }
    }
  },
});
