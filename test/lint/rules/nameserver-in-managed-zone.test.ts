import rule from '../../../src/lint/rules/nameserver-in-managed-zone.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a name server inside a mail domain',
      topology: topology((t) => (t.dns.nameservers[1].name = 'ns.globex.example')),
    },
  ],
  invalid: [
    {
      name: "a provider's name server",
      topology: topology((t) =>
        t.dns.nameservers.push({ name: 'ns.dns-provider.example.net', ipv4: ['203.0.113.53'] }),
      ),
      errors: [{ messageId: 'outside', path: '/dns/nameservers/2' }],
    },
  ],
});
