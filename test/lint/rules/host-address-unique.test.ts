import rule from '../../../src/lint/rules/host-address-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'one address listed twice on one host', topology: topology((t) => t.hosts.store2.ipv4.push('192.0.2.11')) },
    {
      name: 'a host sharing an address with a name server',
      topology: topology((t) => (t.hosts.store2.ipv4 = ['192.0.2.53'])),
    },
  ],
  invalid: [
    {
      name: 'two hosts on one IPv4 address',
      topology: topology((t) => (t.hosts.store2.ipv4 = ['192.0.2.10'])),
      errors: [{ messageId: 'shared', path: '/hosts/store2/ipv4' }],
    },
    {
      name: 'two hosts on one IPv6 address written differently',
      topology: topology((t) => (t.hosts.backup.ipv6 = ['2001:0db8:0:0::10'])),
      errors: [{ messageId: 'shared', path: '/hosts/backup/ipv6' }],
    },
  ],
});
