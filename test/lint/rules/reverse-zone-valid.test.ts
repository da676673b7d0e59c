import rule from '../../../src/lint/rules/reverse-zone-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'a /0 and a /128', topology: topology((t) => t.dns.reverse.push('0.0.0.0/0', '2001:db8::1/128')) },
  ],
  invalid: [
    {
      name: 'an octet above 255',
      topology: topology((t) => t.dns.reverse.push('300.0.0.0/8')),
      errors: [{ messageId: 'invalid', path: '/dns/reverse/3' }],
    },
    {
      name: 'prefixes longer than the address',
      topology: topology((t) => t.dns.reverse.splice(0, 1, '192.0.2.0/33', '2001:db8::/129')),
      errors: [
        { messageId: 'invalid', path: '/dns/reverse/0' },
        { messageId: 'invalid', path: '/dns/reverse/1' },
      ],
    },
  ],
});
