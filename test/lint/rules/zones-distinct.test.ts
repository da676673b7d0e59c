import rule from '../../../src/lint/rules/zones-distinct.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'a mail domain also listed as a zone', topology: topology((t) => t.zones.push('acme.example')) },
    { name: 'nested zones (the parent delegates)', topology: topology((t) => t.zones.push('mail.infra.example')) },
    { name: 'nested reverse networks', topology: topology((t) => t.dns.reverse.push('10.0.0.0/8', '10.1.0.0/16')) },
  ],
  invalid: [
    {
      name: 'a zone listed twice',
      topology: topology((t) => t.zones.push('Infra.Example.')),
      errors: [{ messageId: 'duplicateZone', path: '/zones/1' }],
    },
    {
      name: 'two networks for one reverse zone',
      topology: topology((t) => t.dns.reverse.push('2001:db8:0::/48')),
      errors: [{ messageId: 'duplicateReverse', path: '/dns/reverse/3' }],
    },
    {
      name: 'a reverse zone under zones',
      topology: topology((t) => t.zones.push('2.0.192.in-addr.arpa')),
      errors: [{ messageId: 'reverseAsZone', path: '/zones/1' }],
    },
  ],
});
