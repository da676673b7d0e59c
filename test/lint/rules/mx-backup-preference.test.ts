import rule from '../../../src/lint/rules/mx-backup-preference.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'two stores at the same preference (load sharing)',
      topology: topology((t) => t.domains['acme.example'].mx.push({ host: 'store2', preference: 10 })),
    },
    {
      name: 'a relay-only MX set (mx-primary-store reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx = [{ host: 'backup', preference: 10 }])),
    },
  ],
  invalid: [
    {
      name: 'a backup at the primary preference',
      topology: topology((t) => (t.domains['acme.example'].mx[1].preference = 10)),
      errors: [{ messageId: 'samePreference', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: 'a backup preferred over the primary',
      topology: topology((t) => (t.domains['globex.example'].mx[1].preference = 5)),
      errors: [{ messageId: 'morePreferred', path: '/domains/globex.example/mx/1' }],
    },
  ],
});
