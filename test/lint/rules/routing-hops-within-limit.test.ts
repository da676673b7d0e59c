import rule from '../../../src/lint/rules/routing-hops-within-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology, type TopologyDoc } from '../../helpers/topology.js';

/** Relays backup1..backupN at preferences 20, 30, ... for acme.example. */
const relayLevels = (count: number) => (t: TopologyDoc) => {
  for (let i = 1; i <= count; i++) {
    t.hosts[`relay${i}`] = { fqdn: `relay${i}.infra.example`, ipv4: [`198.51.100.${100 + i}`], role: 'relay' };
    t.domains['acme.example'].mx.push({ host: `relay${i}`, preference: 50 + i * 10 });
  }
};

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'two relays at one preference count as one level',
      topology: topology((t) => {
        t.defaults.hopLimit = 6;
        t.hosts.relay1 = { fqdn: 'relay1.infra.example', ipv4: ['198.51.100.101'], role: 'relay' };
        t.domains['acme.example'].mx.push({ host: 'relay1', preference: 50 });
      }),
    },
  ],
  invalid: [
    {
      name: 'a small hop limit: backup, store and home take 3 of 5',
      topology: topology((t) => (t.defaults.hopLimit = 5)),
      errors: [{ messageId: 'nearLimit', path: '/domains/acme.example/mx' }],
    },
    {
      name: 'as many relay levels as the hop limit',
      topology: topology((t) => {
        t.defaults.hopLimit = 5;
        relayLevels(3)(t);
      }),
      errors: [{ messageId: 'overLimit', path: '/domains/acme.example/mx' }],
    },
  ],
});
