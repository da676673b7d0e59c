import rule from '../../../src/lint/rules/reverse-zone-aligned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a /8, a /16 and a /52',
      topology: topology((t) => t.dns.reverse.push('10.0.0.0/8', '172.16.0.0/16', '2001:db8:1:f000::/52')),
    },
  ],
  invalid: [
    {
      name: 'an IPv4 /25 (RFC 2317)',
      topology: topology((t) => t.dns.reverse.push('203.0.113.128/25')),
      errors: [{ messageId: 'unaligned', path: '/dns/reverse/3' }],
    },
    {
      name: 'an IPv6 /50',
      topology: topology((t) => t.dns.reverse.push('2001:db8:1::/50')),
      errors: [{ messageId: 'unaligned', path: '/dns/reverse/3' }],
    },
    {
      name: 'networks written with host bits',
      topology: topology((t) => t.dns.reverse.push('203.0.113.9/24', '2001:db8:2::1/48')),
      errors: [
        { messageId: 'hostBits', path: '/dns/reverse/3' },
        { messageId: 'hostBits', path: '/dns/reverse/4' },
      ],
    },
  ],
});
