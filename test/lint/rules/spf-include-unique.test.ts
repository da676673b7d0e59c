import rule from '../../../src/lint/rules/spf-include-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'two different includes',
      topology: topology(
        (t) => (t.domains['acme.example'].spf = { include: ['_spf.provider-a.example', '_spf.provider-b.example'] }),
      ),
    },
  ],
  invalid: [
    {
      name: 'one include three times, written differently',
      topology: topology(
        (t) =>
          (t.domains['acme.example'].spf = {
            include: ['_spf.provider.example', '_SPF.provider.example.', '_spf.provider.example'],
          }),
      ),
      errors: [{ messageId: 'duplicate', path: '/domains/acme.example/spf' }],
    },
  ],
});
