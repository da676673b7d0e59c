import rule from '../../../src/lint/rules/user-home-reachable.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology, type TopologyDoc } from '../../helpers/topology.js';

/** store2 on IPv6 only: store1 (dual stack) still reaches it, an IPv4-only store3 does not. */
const ipv6Store2 = (t: TopologyDoc) => {
  t.hosts.store2.ipv4 = [];
  t.hosts.store2.ipv6 = ['2001:db8::11'];
  t.hosts.store3 = { fqdn: 'mail3.infra.example', ipv4: ['192.0.2.12'], role: 'store' };
};

/** zed@acme.example on store3, IPv6 only: acme's MX store1 (dual stack) reaches it, globex's store2 (IPv4 only) does not. */
const zedOnIpv6Store3 = (t: TopologyDoc) => {
  t.hosts.store3 = { fqdn: 'mail3.infra.example', ipv6: ['2001:db8::12'], role: 'store' };
  t.domains['acme.example'].users.zed = 'store3';
};

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    { name: 'an IPv6-only home behind a dual-stack MX', topology: topology(ipv6Store2) },
    {
      name: 'a home without address that is itself the MX (mx-target-planned reports it)',
      topology: topology((t) => {
        t.hosts.store2.ipv4 = [];
        t.domains['acme.example'].users.bob = 'store1';
      }),
    },
  ],
  invalid: [
    {
      name: 'a home without any address',
      topology: topology((t) => {
        t.hosts.store3 = { fqdn: 'mail3.infra.example', role: 'store' };
        t.domains['acme.example'].users.bob = 'store3';
      }),
      errors: [{ messageId: 'noAddress', path: '/domains/acme.example/users/bob' }],
    },
    {
      name: 'an IPv6-only home behind an IPv4-only MX',
      topology: topology((t) => {
        ipv6Store2(t);
        t.domains['acme.example'].mx.push({ host: 'store3', preference: 20 });
      }),
      // sales also reaches carol on store2: the same cause (store3 cannot reach store2), reported once.
      errors: [{ messageId: 'unreachable', path: '/domains/acme.example/users/bob' }],
    },
    {
      name: 'an alias member of another domain whose home the MX cannot reach',
      topology: topology((t) => {
        ipv6Store2(t);
        t.domains['acme.example'].mx[0].host = 'store3';
        t.domains['acme.example'].users = { alice: 'store3' };
        t.domains['acme.example'].aliases.sales = ['alice', 'carol@globex.example'];
      }),
      errors: [{ messageId: 'aliasMember', path: '/domains/acme.example/aliases/sales/1' }],
    },
    {
      name: "a nested alias whose member is homed where the outer domain's MX cannot reach",
      topology: topology((t) => {
        // globex's alias info expands on store2, through acme's team, to zed: only the nesting finds it.
        zedOnIpv6Store3(t);
        t.domains['acme.example'].aliases.team = ['zed'];
        t.domains['globex.example'].aliases.info = ['carol', 'team@acme.example'];
      }),
      errors: [{ messageId: 'aliasMember', path: '/domains/globex.example/aliases/info/1' }],
    },
    {
      name: 'aliases in a loop reach their mailboxes; the home is reported once for the domain',
      topology: topology((t) => {
        zedOnIpv6Store3(t);
        t.domains['acme.example'].aliases.team = ['zed', 'ops@globex.example'];
        t.domains['globex.example'].aliases.ops = ['team@acme.example', 'carol'];
        t.domains['globex.example'].aliases.info = ['ops'];
      }),
      errors: [{ messageId: 'aliasMember', path: '/domains/globex.example/aliases/ops/0' }],
    },
  ],
});
