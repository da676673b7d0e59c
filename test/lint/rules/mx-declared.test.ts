import rule from '../../../src/lint/rules/mx-declared.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan, with a null MX domain', topology: topology() }],
  invalid: [
    {
      name: 'no mx key',
      topology: topology((t) => delete t.domains['globex.example'].mx),
      errors: [{ messageId: 'missing', path: '/domains/globex.example' }],
    },
    {
      name: 'an empty mx list',
      topology: topology((t) => (t.domains['acme.example'].mx = [])),
      errors: [{ messageId: 'empty', path: '/domains/acme.example/mx' }],
    },
  ],
});
