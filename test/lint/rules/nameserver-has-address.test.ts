import rule from '../../../src/lint/rules/nameserver-has-address.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an IPv6-only name server',
      topology: topology((t) => (t.dns.nameservers[1] = { name: 'ns2.infra.example', ipv6: ['2001:db8::53'] })),
    },
    {
      name: "a provider's name server outside the managed zones",
      topology: topology((t) => t.dns.nameservers.push({ name: 'ns.dns-provider.example.net' })),
    },
  ],
  invalid: [
    {
      name: 'an in-zone name server without address',
      topology: topology((t) => (t.dns.nameservers[1] = { name: 'ns2.infra.example' })),
      errors: [{ messageId: 'noAddress', path: '/dns/nameservers/1' }],
    },
    {
      name: 'a name server inside a mail domain without address',
      topology: topology((t) => t.dns.nameservers.push({ name: 'ns.acme.example', ipv4: [] })),
      errors: [{ messageId: 'noAddress', path: '/dns/nameservers/2' }],
    },
  ],
});
