import rule from '../../../src/lint/rules/helo-spf-published.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (EHLO names are the fqdns)', topology: topology() },
    {
      name: 'an EHLO name in a managed zone',
      topology: topology((t) => (t.hosts.backup.helo = 'relay.infra.example')),
    },
    {
      name: "a mail domain's name used by one of its senders",
      topology: topology((t) => (t.hosts.store2.helo = 'globex.example')),
    },
    {
      name: 'an fqdn outside the managed zones, used as EHLO name (host-fqdn-in-managed-zone reports it)',
      topology: topology((t) => (t.hosts.backup.fqdn = 'mx.isp.example.net')),
    },
  ],
  invalid: [
    {
      name: 'an EHLO name outside the managed zones',
      topology: topology((t) => (t.hosts.backup.helo = 'mx.isp.example.net')),
      errors: [{ messageId: 'outside', path: '/hosts/backup/helo' }],
    },
    {
      name: "a relay greeting with a mail domain's name",
      topology: topology((t) => (t.hosts.backup.helo = 'acme.example')),
      errors: [{ messageId: 'domainApex', path: '/hosts/backup/helo' }],
    },
    {
      name: 'a host greeting with the null MX domain',
      topology: topology((t) => (t.hosts.store1.helo = 'parked.example')),
      errors: [{ messageId: 'domainApex', path: '/hosts/store1/helo' }],
    },
  ],
});
