import rule from '../../../src/lint/rules/dmarc-report-external-authorized.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (reports to the domain itself)', topology: topology() },
    {
      name: 'reports to another planned domain',
      topology: topology((t) => (t.domains['globex.example'].dmarc.rua = ['dmarc@acme.example'])),
    },
    {
      name: 'reports to a subdomain of the policy domain',
      topology: topology((t) => (t.domains['globex.example'].dmarc.rua = ['dmarc@reports.globex.example'])),
    },
    {
      name: 'reports to a zone the plan serves (it publishes the authorisation itself)',
      topology: topology((t) => (t.domains['globex.example'].dmarc.rua = ['dmarc@infra.example'])),
    },
  ],
  invalid: [
    {
      name: 'aggregate reports to a report service',
      topology: topology(
        (t) => (t.domains['globex.example'].dmarc.rua = ['mailto:globex@rua.dmarc-service.example.net']),
      ),
      errors: [{ messageId: 'external', path: '/domains/globex.example/dmarc' }],
    },
    {
      name: 'failure reports to a report service',
      topology: topology((t) => (t.domains['acme.example'].dmarc.ruf = ['acme@ruf.dmarc-service.example.net'])),
      errors: [{ messageId: 'external', path: '/domains/acme.example/dmarc' }],
    },
  ],
});
