import rule from '../../../src/lint/rules/user-home-planned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a home named by its fqdn',
      topology: topology((t) => (t.domains['acme.example'].users.alice = 'mail1.infra.example')),
    },
    {
      name: 'users from a CSV file',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host,quota\ndave,store2,1GiB\nerin,store1,\n' },
    },
  ],
  invalid: [
    {
      name: 'a misspelt home',
      topology: topology((t) => (t.domains['acme.example'].users.alice = 'stor1')),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/users/alice' }],
    },
    {
      name: 'a home that does not exist, in the object form',
      topology: topology((t) => (t.domains['acme.example'].users.bob = { host: 'store3', quota: '5GiB' })),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/users/bob' }],
    },
    {
      name: 'many CSV rows naming one missing home: one finding at the first row',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\nerin,stor2\nfrank,stor2\ngrace,store9\n' },
      errors: [
        { messageId: 'unknownMany', line: 3 },
        { messageId: 'unknown', line: 5 },
      ],
    },
  ],
});
