import rule from '../../../src/lint/rules/mx-has-backup.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a second store as the backup',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'store2')),
    },
    {
      name: 'an unplanned second target (mx-target-planned reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'store9')),
    },
  ],
  invalid: [
    {
      name: 'a single MX record',
      topology: topology((t) => t.domains['acme.example'].mx.pop()),
      errors: [{ messageId: 'single', path: '/domains/acme.example/mx' }],
    },
    {
      name: 'two records naming one host',
      topology: topology((t) => (t.domains['globex.example'].mx[1].host = 'store2')),
      errors: [{ messageId: 'single', path: '/domains/globex.example/mx' }],
    },
  ],
});
