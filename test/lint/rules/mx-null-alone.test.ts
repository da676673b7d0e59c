import rule from '../../../src/lint/rules/mx-null-alone.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan (mx: null)', topology: topology() }],
  invalid: [
    {
      name: 'the root as the only entry, preference 0',
      topology: topology((t) => (t.domains['parked.example'].mx = [{ host: '.', preference: 0 }])),
      errors: [{ messageId: 'rootEntry', path: '/domains/parked.example/mx/0' }],
    },
    {
      name: 'the root with another preference',
      topology: topology((t) => (t.domains['parked.example'].mx = [{ host: '.', preference: 10 }])),
      errors: [{ messageId: 'nonZero', path: '/domains/parked.example/mx/0' }],
    },
    {
      name: 'the root next to real MX records',
      topology: topology((t) => t.domains['acme.example'].mx.push({ host: '.', preference: 0 })),
      errors: [{ messageId: 'mixed', path: '/domains/acme.example/mx/2' }],
    },
  ],
});
