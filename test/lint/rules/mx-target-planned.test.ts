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
  ],
  invalid: [
    {
      name: 'a host id that does not exist',
      topology: topology((t) => (t.domains['acme.example'].mx[0].host = 'store9')),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/mx/0' }],
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
