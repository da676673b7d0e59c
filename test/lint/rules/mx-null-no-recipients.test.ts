import rule from '../../../src/lint/rules/mx-null-no-recipients.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan', topology: topology() }],
  invalid: [
    {
      name: 'users on a null MX domain',
      topology: topology((t) => (t.domains['parked.example'].users = { dave: 'store1', erin: 'store2' })),
      errors: [{ messageId: 'users', path: '/domains/parked.example/users/dave' }],
    },
    {
      name: 'users from a CSV file on a null MX domain',
      topology: topology((t) => (t.domains['parked.example'].usersFile = 'parked.csv')),
      files: { 'parked.csv': 'local,host\ndave,store1\n' },
      errors: [{ messageId: 'users', line: 2 }],
    },
    {
      name: 'aliases on a null MX domain',
      topology: topology((t) => (t.domains['parked.example'].aliases = { info: ['alice@acme.example'] })),
      errors: [{ messageId: 'aliases', path: '/domains/parked.example/aliases/info' }],
    },
    {
      name: 'explicit senders on a null MX domain',
      topology: topology((t) => (t.domains['parked.example'].senders = ['store1'])),
      errors: [{ messageId: 'senders', path: '/domains/parked.example/senders' }],
    },
  ],
});
