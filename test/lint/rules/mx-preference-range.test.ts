import rule from '../../../src/lint/rules/mx-preference-range.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'the bounds 0 and 65535',
      topology: topology((t) => {
        t.domains['acme.example'].mx[0].preference = 0;
        t.domains['acme.example'].mx[1].preference = 65535;
      }),
    },
  ],
  invalid: [
    {
      name: 'a preference above 16 bits',
      topology: topology((t) => (t.domains['acme.example'].mx[1].preference = 70000)),
      errors: [{ messageId: 'outOfRange', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: 'a negative preference',
      topology: topology((t) => (t.domains['globex.example'].mx[0].preference = -1)),
      errors: [{ messageId: 'outOfRange', path: '/domains/globex.example/mx/0' }],
    },
  ],
});
