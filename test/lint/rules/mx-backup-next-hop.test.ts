import rule from '../../../src/lint/rules/mx-backup-next-hop.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an IPv6-only backup and a dual-stack primary',
      topology: topology((t) => {
        t.hosts.backup.ipv4 = [];
        t.hosts.backup.ipv6 = ['2001:db8::25'];
        t.domains['globex.example'].mx[0].host = 'store1';
      }),
    },
  ],
  invalid: [
    {
      name: 'an IPv6-only backup behind an IPv4-only primary',
      topology: topology((t) => {
        t.hosts.backup.ipv4 = [];
        t.hosts.backup.ipv6 = ['2001:db8::25'];
      }),
      errors: [{ messageId: 'unreachable', path: '/domains/globex.example/mx/1' }],
    },
  ],
});
