import rule from '../../../src/lint/rules/tls-rpt-rua-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (no TLS-RPT)', topology: topology() },
    {
      name: 'a mailto: URI, a bare planned address and an https: URL',
      topology: topology(
        (t) =>
          (t.domains['acme.example'].tlsRpt = {
            rua: ['mailto:postmaster@acme.example', 'dmarc@acme.example', 'https://reports.example.net/tlsrpt'],
          }),
      ),
    },
  ],
  invalid: [
    {
      name: 'an http: URL',
      topology: topology((t) => (t.domains['acme.example'].tlsRpt = { rua: ['http://reports.example.net/tlsrpt'] })),
      errors: [{ messageId: 'scheme', path: '/domains/acme.example/tlsRpt' }],
    },
    {
      name: 'a mailto: URI without an address',
      topology: topology((t) => (t.domains['acme.example'].tlsRpt = { rua: ['mailto:tls-reports'] })),
      errors: [{ messageId: 'invalidAddress', path: '/domains/acme.example/tlsRpt' }],
    },
    {
      name: 'an https: URL without a host',
      topology: topology((t) => (t.domains['acme.example'].tlsRpt = { rua: ['https://reports .example.net/tlsrpt'] })),
      errors: [{ messageId: 'invalidUrl', path: '/domains/acme.example/tlsRpt' }],
    },
    {
      name: 'an unplanned address in a planned domain',
      topology: topology((t) => (t.domains['globex.example'].tlsRpt = { rua: ['mailto:tls@globex.example'] })),
      errors: [{ messageId: 'unknown', path: '/domains/globex.example/tlsRpt' }],
    },
    {
      name: 'an address in the infrastructure zone, which has no MX',
      topology: topology((t) => (t.domains['globex.example'].tlsRpt = { rua: ['mailto:tls@infra.example'] })),
      errors: [{ messageId: 'unrouted', path: '/domains/globex.example/tlsRpt' }],
    },
  ],
});
