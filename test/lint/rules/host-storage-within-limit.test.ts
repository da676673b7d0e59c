import rule from '../../../src/lint/rules/host-storage-within-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'quotas that exactly fill the disk',
      topology: topology((t) => (t.hosts.store2.limits = { storage: '5GiB' })),
    },
  ],
  invalid: [
    {
      name: 'quotas over the storage',
      topology: topology((t) => {
        t.hosts.store2.limits = { storage: '8GiB' };
        t.domains['globex.example'].users.carol = { host: 'store2', quota: '4GiB' };
      }),
      errors: [{ messageId: 'over', path: '/hosts/store2/limits' }],
    },
    {
      name: 'a default quota applied to every user',
      topology: topology((t) => {
        t.defaults.quota = '150GiB';
        t.domains['globex.example'].users.dave = 'store1';
      }),
      errors: [{ messageId: 'over', path: '/hosts/store1/limits' }],
    },
  ],
});
