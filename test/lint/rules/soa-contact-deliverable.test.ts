import rule from '../../../src/lint/rules/soa-contact-deliverable.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (a contact outside the zones the plan serves)', topology: topology() },
    {
      name: 'a planned alias as the contact',
      topology: topology((t) => (t.dns.soa.contact = 'postmaster@acme.example')),
    },
  ],
  invalid: [
    {
      name: 'an unplanned address of a planned domain',
      topology: topology((t) => (t.dns.soa.contact = 'hostmaster@acme.example')),
      errors: [{ messageId: 'unknown', path: '/dns/soa' }],
    },
    {
      name: 'an address of the null MX domain',
      topology: topology((t) => (t.dns.soa.contact = 'hostmaster@parked.example')),
      errors: [{ messageId: 'nullMx', path: '/dns/soa' }],
    },
    {
      name: 'hostmaster of the infrastructure zone, which has no MX',
      topology: topology((t) => (t.dns.soa.contact = 'hostmaster@infra.example')),
      errors: [{ messageId: 'unrouted', path: '/dns/soa' }],
    },
  ],
});
