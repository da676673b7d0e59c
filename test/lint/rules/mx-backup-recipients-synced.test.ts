import rule from '../../../src/lint/rules/mx-backup-recipients-synced.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (users written in the topology)', topology: topology() },
    {
      name: 'users from a file, but no backup MX',
      topology: topology((t) => {
        t.domains['globex.example'].mx.pop();
        t.domains['globex.example'].usersFile = 'globex.csv';
      }),
      files: { 'globex.csv': 'local,host\ndave,store2\n' },
    },
  ],
  invalid: [
    {
      name: 'users from a file behind a backup MX',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\n' },
      errors: [{ messageId: 'usersFile', path: '/domains/globex.example' }],
    },
  ],
});
