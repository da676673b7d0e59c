import rule from '../../../src/lint/rules/mta-sts-covers-mx.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (no MTA-STS)', topology: topology() },
    { name: 'mode none', topology: topology((t) => (t.domains['acme.example'].mtaSts = { mode: 'none' })) },
  ],
  invalid: [
    {
      name: 'enforce mode lists the primary and the backup',
      topology: topology((t) => (t.domains['acme.example'].mtaSts = { mode: 'enforce', id: '20261101' })),
      errors: [{ messageId: 'policyLines', path: '/domains/acme.example/mtaSts' }],
    },
    {
      name: 'a policy for a domain without MX records',
      topology: topology((t) => (t.domains['parked.example'].mtaSts = { mode: 'testing' })),
      errors: [{ messageId: 'noMx', path: '/domains/parked.example/mtaSts' }],
    },
  ],
});
