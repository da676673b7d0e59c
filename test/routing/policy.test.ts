import { describe, expect, it } from 'vitest';
import { expandRecipients } from '../../src/routing/expand.js';
import { hostPolicy, type HostPolicy } from '../../src/routing/policy.js';
import { route } from '../../src/routing/route.js';
import { AddressBook } from '../../src/topology/address-book.js';
import type { Domain, Plan, User } from '../../src/topology/types.js';
import { mixedPlan } from './support/mixed-plan.js';

const plan = await mixedPlan();

/** Every table of a host's policy, as the MTA generator would print them (sorted, one line per entry). */
function tables(policy: HostPolicy) {
  const names = (domains: Domain[]) => domains.map((d) => d.name).sort();
  const addresses = (users: Iterable<User>) => [...users].map((u) => u.address).sort();
  return {
    final: names(policy.finalDomains()),
    backup: names(policy.backupDomains()),
    nullMx: names(policy.nullMxDomains()),
    other: names(policy.otherDomains()),
    recipients: Object.fromEntries(
      [...policy.finalDomains(), ...policy.backupDomains()].map((d) => [
        d.name,
        [...policy.recipients(d)].map((p) => (p.kind === 'user' ? p.user.local : `${p.alias.local} (alias)`)).sort(),
      ]),
    ),
    stored: addresses(policy.storedUsers()),
    forwarded: [...policy.forwardedUsers()].map((f) => `${f.user.address} ${f.to.id}`).sort(),
    unplaced: addresses(policy.unplacedUsers()),
    aliases: [...policy.aliases()].map((a) => `${a.alias.address}: ${a.members.join(' ')}`).sort(),
    hopLimit: policy.hopLimit,
    queueLifetime: policy.queueLifetime,
    messageSizeLimit: policy.messageSizeLimit,
    recipientLimit: policy.recipientLimit,
  };
}

const ALIASES = [
  'everyone@acme.example: alice@acme.example bob@acme.example carol@globex.example partner@example.com',
  'ghost@acme.example: nobody@acme.example',
  'info@globex.example: carol@globex.example x@parked.example',
  'loop1@acme.example: alice@acme.example',
  'loop2@acme.example: alice@acme.example',
  'misplaced@acme.example: ben@acme.example zed@acme.example dan@hooli.example',
  'postmaster@acme.example: alice@acme.example',
  'postmaster@globex.example: carol@globex.example',
  'postmaster@hooli.example: gavin@hooli.example',
  'sales@globex.example: carol@globex.example alice@acme.example bob@acme.example partner@example.com',
  'team@acme.example: alice@acme.example bob@acme.example',
];
const ACME = ['alice', 'ben', 'bob', 'everyone (alias)', 'ghost (alias)', 'loop1 (alias)', 'loop2 (alias)'].concat([
  'misplaced (alias)',
  'postmaster (alias)',
  'team (alias)',
  'zed',
]);
const GLOBEX = ['carol', 'info (alias)', 'postmaster (alias)', 'sales (alias)'];
const HOOLI = ['dan', 'erlich', 'gavin', 'postmaster (alias)'];

describe('hostPolicy: the tables of each host', () => {
  it('store1: final for the domains it is MX of; stores its users, forwards every other planned user home', () => {
    expect(tables(hostPolicy(plan, 'store1'))).toEqual({
      final: ['acme.example', 'hooli.example'],
      backup: [],
      nullMx: ['parked.example'],
      // globex: store1 is neither its MX nor home to any of it, so it only forwards carol home
      other: ['globex.example'],
      recipients: { 'acme.example': ACME, 'hooli.example': HOOLI },
      stored: ['alice@acme.example', 'gavin@hooli.example'],
      forwarded: [
        'ben@acme.example backup',
        'bob@acme.example store2',
        'carol@globex.example store2',
        'dan@hooli.example backup',
        'erlich@hooli.example store2',
      ],
      unplaced: ['zed@acme.example'],
      aliases: ALIASES,
      hopLimit: 50,
      queueLifetime: 5 * 86400,
      messageSizeLimit: 10_240_000,
      recipientLimit: 100,
    });
  });

  it('store2: final for hooli too, where it is no MX but the home of erlich', () => {
    expect(tables(hostPolicy(plan, 'store2'))).toMatchObject({
      final: ['acme.example', 'globex.example', 'hooli.example'],
      backup: [],
      other: [],
      stored: ['bob@acme.example', 'carol@globex.example', 'erlich@hooli.example'],
      forwarded: [
        'alice@acme.example store1',
        'ben@acme.example backup',
        'dan@hooli.example backup',
        'gavin@hooli.example store1',
      ],
      unplaced: ['zed@acme.example'],
      aliases: ALIASES,
    });
  });

  it('backup: a relay for the domains it is MX of, with every address of them; it stores, forwards and expands nothing', () => {
    expect(tables(hostPolicy(plan, 'backup'))).toEqual({
      final: [],
      backup: ['acme.example', 'globex.example'],
      nullMx: ['parked.example'],
      other: [], // a relay-only host hands every planned domain to its MX
      // ben and dan are homed here, yet it holds no mailbox: hooli, where it is no MX, is relaying
      recipients: { 'acme.example': ACME, 'globex.example': GLOBEX },
      stored: [],
      forwarded: [],
      unplaced: [],
      aliases: [],
      hopLimit: 50,
      queueLifetime: 5 * 86400,
      messageSizeLimit: 10_240_000,
      recipientLimit: 100,
    });
  });

  it('is one object per (plan, host), and knows only planned hosts', () => {
    expect(hostPolicy(plan, 'store1')).toBe(hostPolicy(plan, 'store1'));
    expect(() => hostPolicy(plan, 'nowhere')).toThrow(/not in the plan/);
  });
});

/** The plan with every domain's users in a map that counts the walks over it. */
function countingWalks(original: Plan): { plan: Plan; walks: () => number } {
  let walks = 0;
  class Counted<K, V> extends Map<K, V> {
    override values() {
      walks++;
      return super.values();
    }
    override entries() {
      walks++;
      return super.entries();
    }
    override keys() {
      walks++;
      return super.keys();
    }
    override forEach(...args: Parameters<Map<K, V>['forEach']>) {
      walks++;
      super.forEach(...args);
    }
    override [Symbol.iterator]() {
      walks++;
      return super[Symbol.iterator]();
    }
  }
  const domains = new Map([...original.domains].map(([name, d]) => [name, { ...d, users: new Counted(d.users) }]));
  walks = 0; // copying walked the originals, not these
  return { plan: { ...original, domains, addresses: new AddressBook(domains) }, walks: () => walks };
}

describe('hostPolicy: what the relays pay for', () => {
  it('routing and expanding walk no table of users; only a table that is printed does', () => {
    const { plan: counted, walks } = countingWalks(plan);
    for (const host of counted.hosts.keys()) {
      const policy = hostPolicy(counted, host);
      for (const address of ['alice@acme.example', 'everyone@acme.example', 'dan@hooli.example', 'x@example.com'])
        route(policy, address, 'inbound');
      expandRecipients(policy, ['everyone@acme.example', 'misplaced@acme.example', 'sales@globex.example']);
    }
    expect(walks()).toBe(0);
    expect([...hostPolicy(counted, 'store1').storedUsers()]).toHaveLength(2);
    expect(walks()).toBeGreaterThan(0);
  });
});
