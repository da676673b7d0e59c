import rule from '../../../src/lint/rules/queue-lifetime-covers-outage.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (5d queues, 2d outage)', topology: topology() },
    {
      name: 'a short queue on a store that forwards nothing',
      topology: topology((t) => (t.hosts.store2.queue = { lifetime: '1h' })),
    },
    {
      name: 'a longer planned outage covered by every queue',
      topology: topology((t) => {
        t.defaults.plannedOutage = '6d';
        t.defaults.queueLifetime = '7d';
      }),
    },
  ],
  invalid: [
    {
      name: 'a backup whose queue is shorter than the outage',
      topology: topology((t) => (t.hosts.backup.queue = { lifetime: '1d' })),
      errors: [{ messageId: 'backup', path: '/hosts/backup/queue' }],
    },
    {
      name: 'a forwarding store whose queue is shorter than the outage',
      topology: topology((t) => (t.hosts.store1.queue = { lifetime: '12h' })),
      errors: [{ messageId: 'forwarder', path: '/hosts/store1/queue' }],
    },
    {
      name: 'a planned outage longer than the default lifetime',
      topology: topology((t) => (t.defaults.plannedOutage = '6d')),
      errors: [
        { messageId: 'forwarder', path: '/hosts/store1/queue' },
        { messageId: 'backup', path: '/hosts/backup/queue' },
      ],
    },
  ],
});
