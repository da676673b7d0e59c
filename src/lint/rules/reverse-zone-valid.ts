import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'reverse-zone-valid',
    category: 'dns',
    description: 'Every `dns.reverse` entry is an IPv4 or IPv6 network in CIDR form.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 4632 §3.1', 'RFC 4291 §2.3', 'RFC 1035 §3.5'],
    rationale:
      'Each `dns.reverse` entry names a network whose reverse zone (in-addr.arpa, RFC 1035 §3.5, or ip6.arpa) the plan ' +
      'writes, with a PTR for every host address inside it. An entry that is not a network (an octet above 255, a prefix ' +
      'longer than the address, a typo) produces no zone at all, so the addresses it was meant to cover get no PTR and ' +
      'fail forward-confirmed reverse DNS at receivers.',
    fix: 'Write the network as address/prefix: 192.0.2.0/24 (prefix at most 32) or 2001:db8::/48 (at most 128).',
    messages: {
      invalid:
        'reverse network "{cidr}" is not an IPv4 or IPv6 network in CIDR form; no reverse zone is written for it',
    },
  },
  check({ plan, report }) {
    for (const { raw, at } of plan.invalidReverse) report({ messageId: 'invalid', data: { cidr: raw }, at });
  },
});
