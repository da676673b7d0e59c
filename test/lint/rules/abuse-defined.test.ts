import rule from '../../../src/lint/rules/abuse-defined.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan (the null MX domain needs none)', topology: topology() }],
  invalid: [
    {
      name: 'no abuse address',
      topology: topology((t) => delete t.domains['globex.example'].aliases.abuse),
      errors: [{ messageId: 'missing', path: '/domains/globex.example' }],
    },
  ],
});
