import rule from '../../../src/lint/rules/address-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'one local part in two domains',
      topology: topology((t) => (t.domains['globex.example'].users.alice = 'store2')),
    },
  ],
  invalid: [
    {
      name: 'a user in the topology and again in the CSV file',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\nCarol,store1\n' },
      errors: [{ messageId: 'repeatedUser', line: 3 }],
    },
    {
      name: 'a user twice in the CSV file',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\nerin,store2\ndave,store1\n' },
      errors: [{ messageId: 'repeatedUser', line: 4 }],
    },
    {
      name: 'an alias with the name of a user',
      topology: topology((t) => (t.domains['acme.example'].aliases.bob = ['alice'])),
      errors: [{ messageId: 'userAndAlias', path: '/domains/acme.example/aliases/bob' }],
    },
    {
      name: 'an alias written twice in different case',
      topology: topology((t) => (t.domains['acme.example'].aliases.Sales = ['bob'])),
      errors: [{ messageId: 'repeatedAlias', path: '/domains/acme.example/aliases/Sales' }],
    },
    {
      name: 'a user written twice in different case',
      topology: topology((t) => (t.domains['acme.example'].users.ALICE = 'store2')),
      errors: [{ messageId: 'repeatedUser', path: '/domains/acme.example/users/ALICE' }],
    },
  ],
});
