import rule from '../../../src/lint/rules/domain-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a subdomain is another domain',
      topology: topology((t) => (t.domains['eu.acme.example'] = { mx: null })),
    },
  ],
  invalid: [
    {
      name: 'two blocks that differ only in letter case',
      topology: topology(
        (t) => (t.domains['ACME.example'] = { mx: [{ host: 'store1', preference: 10 }], users: { dave: 'store1' } }),
      ),
      errors: [{ messageId: 'repeated', path: '/domains/ACME.example' }],
    },
    {
      name: 'an IDN domain written as U-label and as A-label',
      topology: topology((t) => {
        t.domains['bücher.example'] = { mx: null };
        t.domains['xn--bcher-kva.example.'] = { mx: null };
      }),
      errors: [{ messageId: 'repeated', path: '/domains/xn--bcher-kva.example.' }],
    },
  ],
});
