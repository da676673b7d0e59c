import rule from '../../../src/lint/rules/login-proxy-reachable.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology, type TopologyDoc } from '../../helpers/topology.js';

/** store1 has IPv4 and IPv6, store2 IPv4 only: make store2 IPv6 only and store1 IPv4 only. */
const disjoint = (t: TopologyDoc) => {
  t.hosts.store1.ipv6 = [];
  t.hosts.store2.ipv4 = [];
  t.hosts.store2.ipv6 = ['2001:db8::11'];
};

testRule(rule, {
  valid: [
    { name: 'the base plan with proxied logins', topology: topology((t) => (t.logins = { proxy: true })) },
    { name: 'stores without a family in common, logins not proxied', topology: topology(disjoint) },
  ],
  invalid: [
    {
      name: 'an IPv4-only store and an IPv6-only store, both homes',
      topology: topology((t) => {
        disjoint(t);
        t.logins = { proxy: true };
      }),
      errors: [
        { messageId: 'unreachable', path: '/logins' },
        { messageId: 'unreachable', path: '/logins' },
      ],
    },
    {
      name: 'a store homing nobody still proxies to the homes, but nobody is proxied to it',
      topology: topology((t) => {
        disjoint(t);
        t.logins = { proxy: true };
        t.domains['acme.example'].users.bob = 'store1';
        t.domains['globex.example'].users.carol = 'store1';
      }),
      errors: [{ messageId: 'unreachable', path: '/logins' }],
    },
  ],
});
