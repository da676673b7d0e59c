import rule from '../../../src/lint/rules/mx-target-not-ip.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a name that starts with digits',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = '25.mx.provider.example')),
    },
  ],
  invalid: [
    {
      name: 'an IPv4 literal of a planned host',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = '192.0.2.10')),
      errors: [{ messageId: 'ipLiteral', path: '/domains/acme.example/mx/0' }],
    },
    {
      name: 'an IPv6 literal, with a trailing dot',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = '2001:DB8::10.')),
      errors: [{ messageId: 'ipLiteral', path: '/domains/acme.example/mx/0' }],
    },
    {
      name: 'an SMTP address literal in brackets',
      topology: topology((t) => (t.domains['globex.example'].mx[1].host = '[203.0.113.9]')),
      errors: [{ messageId: 'ipLiteral', path: '/domains/globex.example/mx/1' }],
    },
  ],
});
