import rule from '../../../src/lint/rules/mta-sts-covers-mx.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology, type TopologyDoc } from '../../helpers/topology.js';

/** acme.example (MX mail1.infra.example, mx-backup.infra.example) with an MTA-STS policy. */
const sts = (mtaSts: Record<string, unknown>) =>
  topology((t: TopologyDoc) => {
    t.web = { www: { fqdn: 'www.infra.example', ipv4: ['192.0.2.80'] } };
    t.domains['acme.example'].mtaSts = { host: 'www', ...mtaSts };
  });

testRule(rule, {
  valid: [
    { name: 'the base plan (no MTA-STS)', topology: topology() },
    { name: 'the default patterns: every MX by name', topology: sts({ mode: 'enforce' }) },
    {
      name: 'a wildcard covers each MX one label below it (RFC 8461 §4.1)',
      topology: sts({ mode: 'enforce', mx: ['*.infra.example'] }),
    },
    { name: 'mode none covers nothing and needs nothing', topology: sts({ mode: 'none', mx: ['other.example'] }) },
  ],
  invalid: [
    {
      name: 'explicit patterns that leave the backup out',
      topology: sts({ mode: 'enforce', mx: ['mail1.infra.example'] }),
      errors: [{ messageId: 'uncovered', path: '/domains/acme.example/mtaSts/mx' }],
    },
    {
      name: 'a wildcard covers one label only, not two',
      topology: sts({ mode: 'testing', mx: ['*.example'] }),
      errors: [{ messageId: 'uncovered', path: '/domains/acme.example/mtaSts/mx' }],
    },
    {
      name: 'a policy for a domain without MX records',
      topology: topology((t) => {
        t.web = { www: { fqdn: 'www.infra.example', ipv4: ['192.0.2.80'] } };
        t.domains['parked.example'].mtaSts = { mode: 'testing', host: 'www' };
      }),
      errors: [{ messageId: 'noMx', path: '/domains/parked.example/mtaSts' }],
    },
  ],
});
