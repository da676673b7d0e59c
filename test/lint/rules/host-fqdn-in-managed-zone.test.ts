import rule from '../../../src/lint/rules/host-fqdn-in-managed-zone.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (hosts in an infrastructure zone)', topology: topology() },
    { name: 'a host inside a mail domain', topology: topology((t) => (t.hosts.store2.fqdn = 'mail.globex.example')) },
  ],
  invalid: [
    {
      name: "a backup at the ISP's own domain",
      topology: topology((t) => (t.hosts.backup.fqdn = 'mx2.isp.example.net')),
      errors: [{ messageId: 'outside', path: '/hosts/backup/fqdn' }],
    },
  ],
});
