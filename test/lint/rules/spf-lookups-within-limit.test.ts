import rule from '../../../src/lint/rules/spf-lookups-within-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

const providers = (count: number) => Array.from({ length: count }, (_, i) => `_spf.provider${i}.example`);

testRule(rule, {
  valid: [
    { name: 'the base plan (ip4/ip6 terms only)', topology: topology() },
    {
      name: 'exactly 10 outside includes',
      topology: topology((t) => (t.domains['acme.example'].spf = { include: providers(10) })),
    },
    {
      name: 'repeated includes are published once',
      topology: topology((t) => (t.domains['acme.example'].spf = { include: [...providers(6), ...providers(6)] })),
    },
  ],
  invalid: [
    {
      name: '11 outside includes',
      topology: topology((t) => (t.domains['acme.example'].spf = { include: providers(11) })),
      errors: [{ messageId: 'tooMany', path: '/domains/acme.example/spf' }],
    },
    {
      name: 'a planned domain whose own includes push the total over 10',
      topology: topology((t) => {
        t.domains['globex.example'].spf = { include: providers(8) };
        t.domains['acme.example'].spf = { include: ['globex.example', '_spf.other.example', '_spf.third.example'] };
      }),
      errors: [{ messageId: 'tooMany', path: '/domains/acme.example/spf' }],
    },
    {
      name: 'two planned domains including each other',
      topology: topology((t) => {
        t.domains['acme.example'].spf = { include: ['globex.example'] };
        t.domains['globex.example'].spf = { include: ['acme.example'] };
      }),
      errors: [{ messageId: 'loop', path: '/domains/acme.example/spf' }],
    },
  ],
});
