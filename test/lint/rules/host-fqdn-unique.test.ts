import rule from '../../../src/lint/rules/host-fqdn-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan', topology: topology() }],
  invalid: [
    {
      name: 'two hosts with one fqdn, written differently',
      topology: topology((t) => (t.hosts.store2.fqdn = 'MAIL1.infra.example.')),
      errors: [{ messageId: 'shared', path: '/hosts/store2/fqdn' }],
    },
    {
      name: 'two hosts with one IDN fqdn, as U-label and as A-label',
      topology: topology((t) => {
        t.hosts.store1.fqdn = 'mail1.bücher.example';
        t.hosts.store2.fqdn = 'mail1.xn--bcher-kva.example';
      }),
      errors: [{ messageId: 'shared', path: '/hosts/store2/fqdn' }],
    },
  ],
});
