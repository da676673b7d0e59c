import rule from '../../../src/lint/rules/user-home-store.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an unplanned home (user-home-planned reports it)',
      topology: topology((t) => (t.domains['acme.example'].users.alice = 'store9')),
    },
  ],
  invalid: [
    {
      name: 'a user homed on the backup relay',
      topology: topology((t) => (t.domains['acme.example'].users.alice = 'backup')),
      errors: [{ messageId: 'relay', path: '/domains/acme.example/users/alice' }],
    },
    {
      name: 'CSV users homed on a relay',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\nerin,backup\nfrank,backup\n' },
      errors: [{ messageId: 'relayMany', line: 3 }],
    },
  ],
});
