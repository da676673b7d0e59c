import rule from '../../../src/lint/rules/soa-expire-recommended.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (2 weeks)', topology: topology() },
    { name: '4 weeks', topology: topology((t) => (t.dns.soa.expire = '4w')) },
  ],
  invalid: [
    {
      name: 'one week',
      topology: topology((t) => (t.dns.soa.expire = '1w')),
      errors: [{ messageId: 'outside', path: '/dns/soa' }],
    },
    {
      name: 'six weeks',
      topology: topology((t) => (t.dns.soa.expire = '6w')),
      errors: [{ messageId: 'outside', path: '/dns/soa' }],
    },
  ],
});
