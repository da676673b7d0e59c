import rule from '../../../src/lint/rules/soa-timers-sane.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'the defaults', topology: topology((t) => (t.dns.soa = { contact: 'hostmaster@infra.example' })) },
    {
      name: 'the range bounds, as durations',
      topology: topology((t) =>
        Object.assign(t.dns.soa, { refresh: '20m', retry: '10m', expire: '1w', minimum: '1d' }),
      ),
    },
  ],
  invalid: [
    {
      name: 'refresh of a minute',
      topology: topology((t) => Object.assign(t.dns.soa, { refresh: 60, retry: 30 })),
      errors: [{ messageId: 'refresh', path: '/dns/soa' }],
    },
    {
      name: 'retry longer than refresh',
      topology: topology((t) => (t.dns.soa.retry = '3h')),
      errors: [{ messageId: 'retry', path: '/dns/soa' }],
    },
    {
      name: 'expire of three days',
      topology: topology((t) => (t.dns.soa.expire = '3d')),
      errors: [{ messageId: 'expire', path: '/dns/soa' }],
    },
    {
      name: 'expire not longer than refresh plus retry',
      topology: topology((t) => (t.dns.soa.expire = '2h')),
      errors: [{ messageId: 'expireTooSmall', path: '/dns/soa' }],
    },
    {
      name: 'a negative-caching TTL of a week',
      topology: topology((t) => (t.dns.soa.minimum = '1w')),
      errors: [{ messageId: 'minimum', path: '/dns/soa' }],
    },
  ],
});
