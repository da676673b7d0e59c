import rule from '../../../src/lint/rules/mx-targets-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan', topology: topology() }],
  invalid: [
    {
      name: 'one host at two preferences',
      topology: topology((t) => t.domains['acme.example'].mx.push({ host: 'store1', preference: 30 })),
      errors: [{ messageId: 'duplicate', path: '/domains/acme.example/mx/2' }],
    },
    {
      name: 'one host by id and by fqdn, the second written first in preference',
      topology: topology((t) => t.domains['globex.example'].mx.push({ host: 'mail2.infra.example', preference: 5 })),
      errors: [{ messageId: 'duplicate', path: '/domains/globex.example/mx/2' }],
    },
    {
      name: 'one unplanned name twice',
      topology: topology(
        (t) =>
          (t.domains['acme.example'].mx = [
            { host: 'store1', preference: 10 },
            { host: 'mx.provider.example', preference: 20 },
            { host: 'MX.provider.example.', preference: 30 },
          ]),
      ),
      errors: [{ messageId: 'duplicate', path: '/domains/acme.example/mx/2' }],
    },
  ],
});
