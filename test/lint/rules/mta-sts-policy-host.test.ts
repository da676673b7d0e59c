import rule from '../../../src/lint/rules/mta-sts-policy-host.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology, type TopologyDoc } from '../../helpers/topology.js';

const sts = (
  mtaSts: Record<string, unknown>,
  web: Record<string, unknown> = { fqdn: 'www.infra.example', ipv4: ['192.0.2.80'] },
) =>
  topology((t: TopologyDoc) => {
    t.web = { www: web };
    t.domains['acme.example'].mtaSts = mtaSts;
  });

testRule(rule, {
  valid: [
    { name: 'the base plan (no MTA-STS)', topology: topology() },
    { name: 'a planned web host with an address', topology: sts({ mode: 'enforce', host: 'www' }) },
    {
      name: 'an IPv6-only web host',
      topology: sts({ mode: 'testing', host: 'www' }, { fqdn: 'www.infra.example', ipv6: ['2001:db8::80'] }),
    },
    { name: 'max_age at the limit', topology: sts({ mode: 'enforce', host: 'www', maxAge: 31557600 }) },
  ],
  invalid: [
    {
      name: 'no web host named',
      topology: sts({ mode: 'enforce' }),
      errors: [{ messageId: 'noHost', path: '/domains/acme.example/mtaSts' }],
    },
    {
      name: 'mode none needs the host too (a policy being withdrawn)',
      topology: sts({ mode: 'none' }),
      errors: [{ messageId: 'noHost', path: '/domains/acme.example/mtaSts' }],
    },
    {
      name: 'a web host the plan does not have',
      topology: sts({ mode: 'enforce', host: 'store1' }),
      errors: [{ messageId: 'unknownHost', path: '/domains/acme.example/mtaSts/host' }],
    },
    {
      name: 'a web host without address',
      topology: sts({ mode: 'enforce', host: 'www' }, { fqdn: 'www.infra.example' }),
      errors: [{ messageId: 'noAddress', path: '/domains/acme.example/mtaSts/host' }],
    },
    {
      name: 'max_age above a year',
      topology: sts({ mode: 'enforce', host: 'www', maxAge: 31557601 }),
      errors: [{ messageId: 'maxAge', path: '/domains/acme.example/mtaSts' }],
    },
  ],
});
