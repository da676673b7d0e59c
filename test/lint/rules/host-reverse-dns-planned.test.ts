import rule from '../../../src/lint/rules/host-reverse-dns-planned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an address in a /16 reverse zone',
      topology: topology((t) => {
        t.dns.reverse.push('10.20.0.0/16');
        t.hosts.store2.ipv4 = ['10.20.30.40'];
      }),
    },
  ],
  invalid: [
    {
      name: 'an IPv4 address outside every reverse zone',
      topology: topology((t) => (t.hosts.backup.ipv4 = ['203.0.113.25'])),
      errors: [{ messageId: 'outside', path: '/hosts/backup/ipv4' }],
    },
    {
      name: 'an IPv6 address outside every reverse zone',
      topology: topology((t) => (t.hosts.store1.ipv6 = ['2001:db8:1::10'])),
      errors: [{ messageId: 'outside', path: '/hosts/store1/ipv6' }],
    },
    {
      name: 'an address inside an unaligned network',
      topology: topology((t) => {
        t.dns.reverse.push('203.0.113.0/25');
        t.hosts.backup.ipv4 = ['203.0.113.25'];
      }),
      errors: [{ messageId: 'unaligned', path: '/hosts/backup/ipv4' }],
    },
  ],
});
