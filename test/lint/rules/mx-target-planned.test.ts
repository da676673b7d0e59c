import rule from '../../../src/lint/rules/mx-target-planned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a target named by its fqdn',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = 'MAIL1.infra.example.')),
    },
    {
      name: 'an IP literal (mx-target-not-ip reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = '192.0.2.10')),
    },
    {
      name: 'a name inside a managed zone (mx-target-not-alias reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = 'mail9.infra.example')),
    },
    {
      name: 'the null MX root written as an entry (mx-null-alone reports it)',
      topology: topology((t) => (t.domains['parked.example'].mx = [{ host: '.', preference: 0 }])),
    },
  ],
  invalid: [
    {
      name: 'a host id that does not exist',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = 'store9')),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/mx/0' }],
    },
    {
      name: 'a misspelt host id',
      topology: topology((t) => (t.domains['globex.example'].mx[1].host = 'bakup')),
      errors: [{ messageId: 'unknown', path: '/domains/globex.example/mx/1' }],
    },
    {
      name: 'a host outside the plan',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'mx.provider.example.net')),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: 'a planned host without addresses',
      topology: topology((t) => (t.hosts.backup.ipv4 = [])),
      errors: [
        { messageId: 'noAddress', path: '/domains/acme.example/mx/1' },
        { messageId: 'noAddress', path: '/domains/globex.example/mx/1' },
      ],
    },
  ],
});
