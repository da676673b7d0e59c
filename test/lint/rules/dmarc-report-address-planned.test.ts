import rule from '../../../src/lint/rules/dmarc-report-address-planned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'mailto: URIs and an outside address',
      topology: topology(
        (t) =>
          (t.domains['globex.example'].dmarc.rua = [
            'mailto:postmaster@globex.example',
            'reports@dmarc-service.example.net',
          ]),
      ),
    },
  ],
  invalid: [
    {
      name: 'an unplanned address in a planned domain',
      topology: topology((t) => (t.domains['globex.example'].dmarc.rua = ['dmarc@globex.example'])),
      errors: [{ messageId: 'unknown', path: '/domains/globex.example/dmarc' }],
    },
    {
      name: 'a failure-report address in the null MX domain',
      topology: topology((t) => (t.domains['acme.example'].dmarc.ruf = ['forensic@parked.example'])),
      errors: [{ messageId: 'nullMx', path: '/domains/acme.example/dmarc' }],
    },
    {
      name: 'an https: URI (not a mailto: address)',
      topology: topology((t) => (t.domains['acme.example'].dmarc.rua = ['https://reports.example.net/dmarc'])),
      errors: [{ messageId: 'invalid', path: '/domains/acme.example/dmarc' }],
    },
    {
      name: 'reports to the infrastructure zone, which has no MX, and to a subdomain of a planned domain',
      topology: topology(
        (t) => (t.domains['globex.example'].dmarc.rua = ['dmarc@infra.example', 'dmarc@reports.globex.example']),
      ),
      errors: [
        { messageId: 'unrouted', path: '/domains/globex.example/dmarc' },
        { messageId: 'unrouted', path: '/domains/globex.example/dmarc' },
      ],
    },
    {
      name: 'a UTF-8 local part, which the record cannot carry as written',
      topology: topology((t) => (t.domains['acme.example'].dmarc.rua = ['jürgen@example.net'])),
      errors: [{ messageId: 'invalid', path: '/domains/acme.example/dmarc' }],
    },
  ],
});
