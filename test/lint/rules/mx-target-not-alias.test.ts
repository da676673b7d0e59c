import rule from '../../../src/lint/rules/mx-target-not-alias.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a target outside every managed zone (mx-target-planned reports it)',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'mx.provider.example.net')),
    },
  ],
  invalid: [
    {
      name: 'another mail domain as the target',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'globex.example')),
      errors: [{ messageId: 'mailDomain', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: 'a name server as the target',
      topology: topology((t) => (t.domains['acme.example'].mx[1].host = 'ns1.infra.example')),
      errors: [{ messageId: 'nameServer', path: '/domains/acme.example/mx/1' }],
    },
    {
      name: "a host's EHLO name as the target",
      topology: topology((t) => {
        t.hosts.store1.helo = 'smtp.infra.example';
        t.domains['acme.example'].mx[0].host = 'smtp.infra.example';
      }),
      errors: [{ messageId: 'heloName', path: '/domains/acme.example/mx/0' }],
    },
    {
      name: 'a name in a managed zone that holds nothing',
      topology: topology((t) => (t.domains['globex.example'].mx[0].host = 'mail9.infra.example')),
      errors: [{ messageId: 'noRecords', path: '/domains/globex.example/mx/0' }],
    },
  ],
});
