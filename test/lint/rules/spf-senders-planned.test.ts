import rule from '../../../src/lint/rules/spf-senders-planned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'a relay without address that sends nothing', topology: topology((t) => (t.hosts.backup.ipv4 = [])) },
    {
      name: 'explicit senders by id and by fqdn',
      topology: topology((t) => (t.domains['globex.example'].senders = ['store2', 'mail1.infra.example'])),
    },
  ],
  invalid: [
    {
      name: 'a home store without address (a default sender)',
      topology: topology((t) => (t.hosts.store2.ipv4 = [])),
      errors: [
        { messageId: 'noAddress', path: '/domains/acme.example/senders' },
        { messageId: 'noAddress', path: '/domains/globex.example/senders' },
      ],
    },
    {
      name: 'an explicit sender without address',
      topology: topology((t) => {
        t.hosts.outbound = { fqdn: 'out.infra.example', role: 'relay', sends: true };
        t.domains['globex.example'].senders = ['outbound'];
      }),
      errors: [{ messageId: 'noAddress', path: '/domains/globex.example/senders' }],
    },
    {
      name: 'a misspelt sender',
      topology: topology((t) => (t.domains['globex.example'].senders = ['store2', 'stor1'])),
      errors: [{ messageId: 'unknown', path: '/domains/globex.example/senders/1' }],
    },
  ],
});
