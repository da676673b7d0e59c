import rule from '../../../src/lint/rules/mx-backup-within-address-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

const manyAddresses = (count: number) => Array.from({ length: count }, (_, i) => `192.0.2.${100 + i}`);

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'exactly 5 addresses before the backup',
      topology: topology((t) => (t.hosts.store1.ipv4 = manyAddresses(4))),
    },
    {
      name: 'many addresses at the lowest preference only',
      topology: topology((t) => (t.hosts.backup.ipv4 = manyAddresses(8))),
    },
  ],
  invalid: [
    {
      name: 'a primary with 6 addresses (IPv4 and IPv6 count)',
      topology: topology((t) => (t.hosts.store1.ipv4 = manyAddresses(5))),
      errors: [{ messageId: 'hidden', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: 'two primaries adding up to 6, reported once at the first hidden level',
      topology: topology((t) => {
        t.hosts.store2.ipv4 = manyAddresses(5);
        t.domains['acme.example'].mx = [
          { host: 'store1', preference: 10 },
          { host: 'store2', preference: 20 },
          { host: 'backup', preference: 50 },
        ];
      }),
      errors: [{ messageId: 'hidden', path: '/domains/acme.example/mx/2' }],
    },
  ],
});
