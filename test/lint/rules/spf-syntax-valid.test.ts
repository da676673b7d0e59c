import rule from '../../../src/lint/rules/spf-syntax-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an underscore include, networks and single addresses',
      topology: topology(
        (t) =>
          (t.domains['acme.example'].spf = {
            include: ['_spf.provider.example'],
            ip4: ['203.0.113.0/24', '198.51.100.7'],
            ip6: ['2001:db8:5::/48', '2001:db8::7'],
          }),
      ),
    },
    {
      name: 'a macro include',
      topology: topology((t) => (t.domains['acme.example'].spf = { include: ['%{ir}.%{v}._spf.provider.example'] })),
    },
  ],
  invalid: [
    {
      name: 'an include with a space',
      topology: topology((t) => (t.domains['acme.example'].spf = { include: ['spf provider.example'] })),
      errors: [{ messageId: 'include', path: '/domains/acme.example/spf' }],
    },
    {
      name: 'an IPv6 address under ip4, and a prefix too long',
      topology: topology((t) => (t.domains['acme.example'].spf = { ip4: ['2001:db8::1', '203.0.113.0/33'] })),
      errors: [
        { messageId: 'ip4', path: '/domains/acme.example/spf' },
        { messageId: 'ip4', path: '/domains/acme.example/spf' },
      ],
    },
    {
      name: 'a bad IPv6 network',
      topology: topology((t) => (t.domains['globex.example'].spf = { ip6: ['2001:db8::/129'] })),
      errors: [{ messageId: 'ip6', path: '/domains/globex.example/spf' }],
    },
  ],
});
