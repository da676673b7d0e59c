import rule from '../../../src/lint/rules/dmarc-policy-enforced.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [{ name: 'the base plan (quarantine and reject)', topology: topology() }],
  invalid: [
    {
      name: 'p=none',
      topology: topology((t) => (t.domains['acme.example'].dmarc.policy = 'none')),
      errors: [{ messageId: 'policyNone', path: '/domains/acme.example/dmarc' }],
    },
    {
      name: 'sp=none',
      topology: topology((t) => (t.domains['globex.example'].dmarc.subdomainPolicy = 'none')),
      errors: [{ messageId: 'subdomainNone', path: '/domains/globex.example/dmarc' }],
    },
  ],
});
