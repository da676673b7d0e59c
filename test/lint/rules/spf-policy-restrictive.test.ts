import rule from '../../../src/lint/rules/spf-policy-restrictive.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (-all)', topology: topology() },
    { name: 'softfail', topology: topology((t) => (t.domains['acme.example'].spf = { policy: '~all' })) },
    {
      name: '?all on the null MX domain, which publishes -all anyway',
      topology: topology((t) => (t.domains['parked.example'].spf = { policy: '?all' })),
    },
  ],
  invalid: [
    {
      name: 'neutral',
      topology: topology((t) => (t.domains['acme.example'].spf = { policy: '?all' })),
      errors: [{ messageId: 'neutral', path: '/domains/acme.example/spf' }],
    },
    {
      name: 'pass for everyone',
      topology: topology(
        (t) => (t.domains['globex.example'].spf = { policy: '+all', include: ['_spf.provider.example'] }),
      ),
      errors: [{ messageId: 'pass', path: '/domains/globex.example/spf' }],
    },
  ],
});
