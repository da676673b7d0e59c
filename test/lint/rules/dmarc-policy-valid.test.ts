import rule from '../../../src/lint/rules/dmarc-policy-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'every value, in any case',
      topology: topology((t) => (t.domains['acme.example'].dmarc = { policy: 'Reject', subdomainPolicy: 'none' })),
    },
  ],
  invalid: [
    {
      name: 'an unknown policy',
      topology: topology((t) => (t.domains['acme.example'].dmarc.policy = 'block')),
      errors: [{ messageId: 'policy', path: '/domains/acme.example/dmarc' }],
    },
    {
      name: 'an unknown subdomain policy',
      topology: topology((t) => (t.domains['globex.example'].dmarc.subdomainPolicy = 'quarantined')),
      errors: [{ messageId: 'subdomainPolicy', path: '/domains/globex.example/dmarc' }],
    },
  ],
});
