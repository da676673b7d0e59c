import rule from '../../../src/lint/rules/host-connections-within-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

const csv = (count: number, host: string) =>
  ['local,host', ...Array.from({ length: count }, (_, i) => `user${i},${host}`)].join('\n');

testRule(rule, {
  valid: [
    { name: 'the base plan (no connections per user planned)', topology: topology() },
    {
      name: 'within the limit',
      topology: topology((t) => {
        t.defaults.connectionsPerUser = 1.5;
        t.hosts.store1.limits.connections = 3;
      }),
    },
  ],
  invalid: [
    {
      name: 'users × connections per user over the limit',
      topology: topology((t) => {
        t.defaults.connectionsPerUser = 1.5;
        t.hosts.store1.limits.connections = 300;
        t.domains['globex.example'].usersFile = 'globex.csv';
      }),
      files: { 'globex.csv': csv(200, 'store1') },
      errors: [{ messageId: 'over', path: '/hosts/store1/limits' }],
    },
  ],
});
