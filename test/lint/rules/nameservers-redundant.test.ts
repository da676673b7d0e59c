import rule from '../../../src/lint/rules/nameservers-redundant.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'one name server listed twice with one address',
      topology: topology((t) => t.dns.nameservers.push({ name: 'ns2.infra.example', ipv4: ['198.51.100.53'] })),
    },
  ],
  invalid: [
    {
      name: 'a single name server',
      topology: topology((t) => t.dns.nameservers.pop()),
      errors: [{ messageId: 'tooFew', path: '/dns/nameservers/0' }],
    },
    {
      name: 'one name server under two entries',
      topology: topology((t) => (t.dns.nameservers[1].name = 'ns1.infra.example')),
      errors: [{ messageId: 'tooFew', path: '/dns/nameservers/0' }],
    },
    {
      name: 'two names on one address',
      topology: topology((t) => (t.dns.nameservers[1].ipv4 = ['192.0.2.53'])),
      errors: [{ messageId: 'sharedAddress', path: '/dns/nameservers/1' }],
    },
  ],
});
