import rule from '../../../src/lint/rules/address-domain-not-misspelt.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'members outside the plan, far from every planned name',
      topology: topology((t) =>
        t.domains['acme.example'].aliases.sales.push('partner@example.net', 'x@acme.example.net'),
      ),
    },
    {
      name: 'a near miss that is itself served is judged by alias-members-exist, not here',
      topology: topology((t) => t.domains['acme.example'].aliases.sales.push('carol@mail.acme.example')),
    },
  ],
  invalid: [
    {
      name: 'two letters swapped in an alias member',
      topology: topology((t) => t.domains['acme.example'].aliases.sales.push('anna@acme.exmaple')),
      errors: [{ messageId: 'nearMiss', path: '/domains/acme.example/aliases/sales/3' }],
    },
    {
      name: 'a letter dropped in the SOA contact, one added in a DMARC report address',
      topology: topology((t) => {
        t.dns.soa.contact = 'hostmaster@infra.exampl';
        t.domains['globex.example'].dmarc.rua = ['dmarc@acme.examples'];
      }),
      errors: [
        { messageId: 'nearMiss', path: '/dns/soa' },
        { messageId: 'nearMiss', path: '/domains/globex.example/dmarc' },
      ],
    },
    {
      name: 'a letter changed in a TLS-RPT address',
      topology: topology((t) => (t.domains['acme.example'].tlsRpt = { rua: ['mailto:tls@globex.exanple'] })),
      errors: [{ messageId: 'nearMiss', path: '/domains/acme.example/tlsRpt' }],
    },
  ],
});
