import rule from '../../../src/lint/rules/host-mailboxes-within-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

const csv = (count: number, host: string) =>
  ['local,host', ...Array.from({ length: count }, (_, i) => `user${i},${host}`)].join('\n');

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'exactly at the limit',
      topology: topology((t) => {
        t.hosts.store1.limits.mailboxes = 3;
        t.domains['globex.example'].usersFile = 'globex.csv';
      }),
      files: { 'globex.csv': csv(2, 'store1') },
    },
  ],
  invalid: [
    {
      name: 'users from a CSV file beyond the limit',
      topology: topology((t) => {
        t.hosts.store1.limits.mailboxes = 3;
        t.domains['globex.example'].usersFile = 'globex.csv';
      }),
      files: { 'globex.csv': csv(3, 'store1') },
      errors: [{ messageId: 'over', path: '/hosts/store1/limits' }],
    },
  ],
});
