import rule from '../../../src/lint/rules/name-syntax-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

const longLabel = 'a'.repeat(64);

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'an IDN domain (converted to its A-label) and a 63-octet label',
      topology: topology((t) => {
        t.domains['bücher.example'] = { mx: null };
        t.hosts.store2.fqdn = `${'a'.repeat(63)}.infra.example`;
      }),
    },
  ],
  invalid: [
    {
      name: 'a domain with an underscore',
      topology: topology((t) => (t.domains['bad_name.example'] = { mx: null })),
      errors: [{ messageId: 'domain', path: '/domains/bad_name.example' }],
    },
    {
      name: 'a host fqdn with a 64-octet label',
      topology: topology((t) => (t.hosts.store2.fqdn = `${longLabel}.infra.example`)),
      errors: [{ messageId: 'hostFqdn', path: '/hosts/store2/fqdn' }],
    },
    {
      name: 'an EHLO name with an empty label',
      topology: topology((t) => (t.hosts.backup.helo = 'mx..infra.example')),
      errors: [{ messageId: 'hostHelo', path: '/hosts/backup/helo' }],
    },
    {
      name: 'a name server longer than 253 characters',
      topology: topology((t) => (t.dns.nameservers[1].name = `${'n'.repeat(60)}.`.repeat(4) + 'infra.example')),
      errors: [{ messageId: 'nameServer', path: '/dns/nameservers/1' }],
    },
    {
      name: 'a zone whose last label is all digits',
      topology: topology((t) => t.zones.push('infra.123')),
      errors: [{ messageId: 'zone', path: '/zones/1' }],
    },
  ],
});
