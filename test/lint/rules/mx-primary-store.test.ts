import rule from '../../../src/lint/rules/mx-primary-store.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a store behind a relay (mx-backup-preference reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx[1].preference = 5)),
    },
    {
      name: 'an unplanned target beside a relay (mx-target-planned reports it; it may be the store meant)',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = 'mail1')),
    },
  ],
  invalid: [
    {
      name: 'only a relay',
      topology: topology((t) => (t.domains['acme.example'].mx = [{ host: 'backup', preference: 10 }])),
      errors: [{ messageId: 'noStore', path: '/domains/acme.example/mx' }],
    },
    {
      name: 'two relays',
      topology: topology((t) => {
        t.hosts.backup2 = { fqdn: 'mx-backup2.infra.example', ipv4: ['198.51.100.26'], role: 'relay' };
        t.domains['globex.example'].mx = [
          { host: 'backup', preference: 10 },
          { host: 'backup2', preference: 20 },
        ];
      }),
      errors: [{ messageId: 'noStore', path: '/domains/globex.example/mx' }],
    },
  ],
});
