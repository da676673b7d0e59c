/**
 * The lab's machines: one network namespace per planned host, one per name server and per web
 * host at addresses of its own (a name server or a web host at a host's addresses is served from
 * that host's namespace), and the outside, standing for the Internet at an address the plan does
 * not use. Each has its planned addresses, a port on the switch and a fixed MAC address.
 *
 * What the lab cannot build is refused before anything is made: a planned address inside the
 * outside's network, two hosts at one address, a name server or web host sharing only some
 * addresses with a host.
 *
 * A switch to a new plan (switchTo) lays its hosts beside the running ones: a new host gets a
 * machine on the next port, a host of both plans keeps its machine at the new plan's addresses,
 * a retired host keeps its machine, since it runs on to drain its queue. The name servers, the web
 * hosts and the outside stay where the lab put them: a plan that moves one is refused, with why.
 */
import type { OutsideExchange } from '../sandbox/engine.js';
import { exchangeOf, outsideDomainName } from '../sandbox/outside.js';
import { canonicalIP, familyOf, ipv6Nibbles, networkContains, parseCidr } from '../topology/ip.js';
import type { Host, NameServer, Plan } from '../topology/types.js';
import { LabError } from './exec.js';
import type { LabNames } from './names.js';

/** The outside's addresses: where verify's sender stands, and a receiver for outbound mail. */
export interface OutsideAddresses {
  readonly ipv4: string;
  readonly ipv6: string;
}

/** TEST-NET-3 (RFC 5737) and the IPv6 documentation prefix 3fff::/20 (RFC 9637). */
export const DEFAULT_OUTSIDE: OutsideAddresses = { ipv4: '203.0.113.1', ipv6: '3fff::1' };

/** The outside's /24 and /64, as "a.b.c" and "xxxx:xxxx:xxxx:xxxx". */
function outsidePrefixes(outside: OutsideAddresses): { v4: string; v6: string } {
  return {
    v4: outside.ipv4.split('.').slice(0, 3).join('.'),
    v6: ipv6Nibbles(outside.ipv6).slice(0, 16).match(/.{4}/g)!.join(':'),
  };
}

/** The network around an outside address that no planned address may be in: its /24, its /64. */
function outsideNetworks(outside: OutsideAddresses): string[] {
  const { v4, v6 } = outsidePrefixes(outside);
  return [`${v4}.0/24`, canonicalIP(`${v6}::`) + '/64'];
}

export type MachineKind = 'host' | 'dns' | 'web' | 'outside';

export interface Machine {
  readonly namespace: string;
  readonly kind: MachineKind;
  /** The planned host it is (kind host). */
  readonly hostId?: string;
  /** The planned web host it is (kind web). */
  readonly webId?: string;
  /** The planned name servers answering here. */
  readonly nameServers: readonly NameServer[];
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** Its port on the switch, from 1: the switch end of its link is p<port>. */
  readonly port: number;
  /** Of its end of the link (eth0): locally administered, fixed, so every neighbour entry is known. */
  readonly mac: string;
}

export interface LabLayout {
  readonly names: LabNames;
  /** Every machine, the outside last. */
  readonly machines: readonly Machine[];
  /**
   * The outside: its first address of each family is its own (where verify's sender dials from,
   * and the outside's receiver); the others are the exchanges of the outside domains.
   */
  readonly outside: Machine;
  /** The caller's domains outside the plan (EngineOptions `outside`), each at addresses of the outside. */
  readonly exchanges: readonly OutsideExchange[];
  /** The machine of a planned host. */
  host(hostId: string): Machine;
  /** Every planned name server address the lab serves, in the plan's order (IPv4 before IPv6 of each). */
  readonly nameServerAddresses: readonly string[];
  /** Where each planned web host with an address stands: a machine of its own, or its host's. */
  readonly web: ReadonlyMap<string, Machine>;
  /**
   * Lays the hosts of `next`, a plan the lab switches to from `previous` (plan-switch.ts), or
   * refuses (LabError, nothing changed): a host only `next` has gets a machine of its own; a host
   * of both keeps its machine and port, at `next`'s addresses; each of `retired` (hosts of
   * neither, still running) keeps its machine and its addresses.
   */
  switchTo(previous: Plan, next: Plan, retired: readonly Host[]): LayoutChange;
}

export interface LayoutChange {
  /** The machines of the hosts only the new plan has. */
  readonly added: readonly Machine[];
  /** The machines of hosts whose addresses change: as they were, and as they are now. */
  readonly moved: readonly { readonly before: Machine; readonly after: Machine }[];
}

export function layLab(
  plan: Plan,
  names: LabNames,
  outside: OutsideAddresses = DEFAULT_OUTSIDE,
  outsideDomains: readonly string[] = [],
): LabLayout {
  for (const [family, address] of [
    [4, outside.ipv4],
    [6, outside.ipv6],
  ] as const)
    if (familyOf(address) !== family) throw new LabError(`the lab's outside address ${address} is not IPv${family}`);
  const forbidden = outsideNetworks(outside).map((cidr) => ({ cidr, network: parseCidr(cidr)! }));
  const owner = new Map<string, string>();
  const claim = (what: string, address: string) => claimIn(owner, what, address);
  const claimIn = (owners: Map<string, string>, what: string, address: string) => {
    const canonical = canonicalIP(address);
    const clash = forbidden.find((f) => networkContains(f.network, canonical));
    if (clash)
      throw new LabError(
        `${what} has the address ${address}, in ${clash.cidr}, where the lab's outside stands for the Internet: give the lab's outside another address`,
      );
    const other = owners.get(canonical);
    if (other) throw new LabError(`${what} and ${other} both have the address ${address}: one link cannot hold both`);
    owners.set(canonical, what);
  };

  const machines: Machine[] = [];
  let ports = 0;
  const add = (machine: Omit<Machine, 'port' | 'mac'>) => {
    const port = ++ports;
    const built = { ...machine, port, mac: macOf(port) };
    // Every machine before the outside, which stays last.
    const outsideAt = machines.findIndex((m) => m.kind === 'outside');
    machines.splice(outsideAt < 0 ? machines.length : outsideAt, 0, built);
    return built;
  };
  const hosts = new Map<string, Machine & { nameServers: NameServer[] }>();
  /** A planned host's machine, at its addresses (claimed already). */
  const addHost = (host: Host) => {
    const machine = add({
      namespace: names.host(host.id),
      kind: 'host',
      hostId: host.id,
      nameServers: [],
      ipv4: host.ipv4,
      ipv6: host.ipv6,
    }) as Machine & { nameServers: NameServer[] };
    hosts.set(host.id, machine);
    return machine;
  };
  /** The host whose addresses these are, when they are one's; refused when they are only partly. */
  const hostHolding = (what: string, addresses: readonly string[]) => {
    const atHost = [...hosts.values()].find((m) =>
      addresses.some((a) => owner.get(canonicalIP(a)) === `host ${m.hostId}`),
    );
    if (!atHost) return undefined;
    const hostAddresses = new Set([...atHost.ipv4, ...atHost.ipv6].map(canonicalIP));
    const outsideHost = addresses.filter((a) => !hostAddresses.has(canonicalIP(a)));
    if (outsideHost.length > 0)
      throw new LabError(
        `${what} shares addresses with host ${atHost.hostId} but also has ${outsideHost.join(', ')}: the lab serves it from one namespace`,
      );
    return atHost;
  };
  for (const host of plan.hosts.values()) {
    if (host.ipv4.length + host.ipv6.length === 0)
      throw new LabError(`host ${host.id} has no planned address: the lab has nowhere to put it`);
    for (const a of [...host.ipv4, ...host.ipv6]) claim(`host ${host.id}`, a);
    addHost(host);
  }

  const servedAt = new Map<string, Machine & { nameServers: NameServer[] }>();
  const nameServerAddresses: string[] = [];
  for (const ns of plan.nameservers) {
    const addresses = [...ns.ipv4, ...ns.ipv6];
    if (addresses.length === 0) continue; // named without addresses: served elsewhere, not by the plan's lab
    nameServerAddresses.push(...addresses);
    const key = addresses.map(canonicalIP).sort().join(' ');
    const same = servedAt.get(key);
    if (same) {
      same.nameServers.push(ns);
      continue;
    }
    const atHost = hostHolding(`name server ${ns.name}`, addresses);
    if (atHost) {
      atHost.nameServers.push(ns);
      servedAt.set(key, atHost);
      continue;
    }
    for (const a of addresses) claim(`name server ${ns.name}`, a);
    const machine = add({
      namespace: names.nameServer(ns.name),
      kind: 'dns',
      nameServers: [ns],
      ipv4: ns.ipv4,
      ipv6: ns.ipv6,
    }) as Machine & { nameServers: NameServer[] };
    servedAt.set(key, machine);
  }
  if (nameServerAddresses.length === 0)
    throw new LabError('the plan names no name server with an address: nothing in the lab would answer DNS');

  // The web hosts (MTA-STS policy hosts, RFC 8461 §3.3). One without an address stands nowhere:
  // lint's mta-sts-policy-host says so, and verify finds no policy.
  const web = new Map<string, Machine>();
  for (const w of plan.web.values()) {
    const addresses = [...w.ipv4, ...w.ipv6];
    if (addresses.length === 0) continue;
    const atHost = hostHolding(`web host ${w.id}`, addresses);
    if (atHost) {
      web.set(w.id, atHost);
      continue;
    }
    for (const a of addresses) claim(`web host ${w.id}`, a);
    web.set(
      w.id,
      add({ namespace: names.web(w.id), kind: 'web', webId: w.id, nameServers: [], ipv4: w.ipv4, ipv6: w.ipv6 }),
    );
  }

  const exchanges = exchangesOf(plan, outside, outsideDomains);
  const outsideMachine = add({
    namespace: names.outside,
    kind: 'outside',
    nameServers: [],
    ipv4: [outside.ipv4, ...exchanges.map((e) => e.addresses[0]!)],
    ipv6: [outside.ipv6, ...exchanges.map((e) => e.addresses[1]!)],
  });

  const switchTo = (previous: Plan, next: Plan, retired: readonly Host[]): LayoutChange => {
    for (const [what, of] of [
      ['name servers', nameServerKeys],
      ['web hosts', webKeys],
    ] as const) {
      const before = of(previous);
      const after = of(next);
      if (before.join('; ') !== after.join('; '))
        throw new LabError(
          `the lab keeps the ${what} it started with, and the new plan changes them (${before.join('; ') || 'none'} → ${after.join('; ') || 'none'}): prove this migration on the loopback sandbox`,
        );
    }
    // Every address as it will be: retired hosts keep theirs, the others take the new plan's.
    const owners = new Map<string, string>();
    for (const host of retired)
      for (const a of [...host.ipv4, ...host.ipv6])
        claimIn(owners, `host ${host.id} (retired, running until taken down)`, a);
    for (const host of next.hosts.values()) {
      if (host.ipv4.length + host.ipv6.length === 0)
        throw new LabError(`host ${host.id} has no planned address: the lab has nowhere to put it`);
      for (const a of [...host.ipv4, ...host.ipv6]) claimIn(owners, `host ${host.id}`, a);
    }
    // The name servers' and web hosts' own machines (the outside's network is forbidden to hosts already).
    const whatIs = (m: Machine) => (m.kind === 'web' ? `web host ${m.webId}` : `name server ${m.nameServers[0]!.name}`);
    for (const m of machines.filter((m) => m.kind === 'dns' || m.kind === 'web'))
      for (const a of [...m.ipv4, ...m.ipv6]) claimIn(owners, whatIs(m), a);
    const moved: { before: Machine & { nameServers: NameServer[] }; after: Machine & { nameServers: NameServer[] } }[] =
      [];
    for (const host of next.hosts.values()) {
      const before = hosts.get(host.id);
      if (!before) continue;
      const same = (a: readonly string[], b: readonly string[]) =>
        a.map(canonicalIP).join(' ') === b.map(canonicalIP).join(' ');
      if (same(before.ipv4, host.ipv4) && same(before.ipv6, host.ipv6)) continue;
      const serving =
        before.nameServers.length > 0 ? 'a name server' : [...web.values()].includes(before) ? 'a web host' : undefined;
      if (serving)
        throw new LabError(
          `host ${host.id} changes its addresses, and ${serving} answers at them: the lab keeps it where it started; prove this migration on the loopback sandbox`,
        );
      moved.push({ before, after: { ...before, ipv4: host.ipv4, ipv6: host.ipv6 } });
    }
    // Nothing refused: the layout changes.
    for (const { before, after } of moved) {
      machines[machines.indexOf(before)] = after;
      hosts.set(after.hostId!, after);
    }
    const added = [...next.hosts.values()].filter((h) => !hosts.has(h.id)).map(addHost);
    return { added, moved };
  };

  return {
    names,
    machines,
    outside: outsideMachine,
    exchanges,
    host: (hostId) => {
      const machine = hosts.get(hostId);
      if (!machine) throw new LabError(`no planned host "${hostId}"`);
      return machine;
    },
    nameServerAddresses,
    web,
    switchTo,
  };
}

/** Each name server with addresses, as "name addresses", in a stable order. */
function nameServerKeys(plan: Plan): string[] {
  return plan.nameservers
    .filter((ns) => ns.ipv4.length + ns.ipv6.length > 0)
    .map((ns) => `${ns.name} ${[...ns.ipv4, ...ns.ipv6].map(canonicalIP).sort().join(' ')}`)
    .sort();
}

/** Each web host with addresses, as "id fqdn addresses", in a stable order. */
function webKeys(plan: Plan): string[] {
  return [...plan.web.values()]
    .filter((w) => w.ipv4.length + w.ipv6.length > 0)
    .map((w) => `${w.id} ${w.fqdn} ${[...w.ipv4, ...w.ipv6].map(canonicalIP).sort().join(' ')}`)
    .sort();
}

/**
 * Each outside domain's exchange, mx.<domain>, at an IPv4 and an IPv6 address of its own in the
 * outside's /24 and /64 (where no planned address may be), from ::25 and .25 on: the outside's
 * own address keeps its receiver, and each exchange's port 25 is the caller's listener.
 */
function exchangesOf(plan: Plan, outside: OutsideAddresses, domains: readonly string[]): OutsideExchange[] {
  const { v4, v6 } = outsidePrefixes(outside);
  const own = new Set([canonicalIP(outside.ipv4), canonicalIP(outside.ipv6)]);
  const free = (make: (n: number) => string, taken: Set<string>) => {
    for (let n = 25; n < 255; n++) {
      const address = canonicalIP(make(n));
      if (!own.has(address) && !taken.has(address)) return (taken.add(address), address);
    }
    throw new LabError(`the lab's outside has no address left for another outside domain (${domains.length} asked)`);
  };
  const taken = new Set<string>();
  return domains.map((domain) => {
    const name = outsideDomainName(plan, domain);
    return {
      domain: name,
      exchange: exchangeOf(name),
      addresses: [free((n) => `${v4}.${n}`, taken), free((n) => `${v6}::${n}`, taken)],
    };
  });
}

/** 02:6d:78:.. (locally administered, "mx"), then the port. */
function macOf(port: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02:6d:78:00:${hex((port >> 8) & 0xff)}:${hex(port & 0xff)}`;
}
