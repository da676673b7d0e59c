/**
 * Facts several rules derive from the plan, each computed once per plan (cached by plan object):
 * a rule that needs per-user totals reads them here instead of walking a million users again.
 * What becomes of an address is in addresses.ts; where a domain's mail ends up, aliases
 * expanded, in delivery.ts.
 *
 * Everything is linear in the size of the plan; nothing here judges it.
 */
import type { Domain, Host, Plan, User } from '../topology/types.js';

/** How many users each group keeps as examples (for messages and related locations). */
const SAMPLE_SIZE = 4;

export function hasAddress(host: Host): boolean {
  return host.ipv4.length + host.ipv6.length > 0;
}

/** "IPv4 only", "IPv6 only", "IPv4 and IPv6" or "no address", for messages. */
export function familiesOf(host: Host): string {
  if (host.ipv4.length > 0 && host.ipv6.length > 0) return 'IPv4 and IPv6';
  if (host.ipv4.length > 0) return 'IPv4 only';
  if (host.ipv6.length > 0) return 'IPv6 only';
  return 'no address';
}

/**
 * Whether `from` can open an SMTP connection to `to`: `to` has an address in a family `from` also
 * has (an IPv4-only host cannot reach an IPv6-only one; RFC 5321 §5.1 tries the addresses it can use).
 */
export function canReach(from: Host, to: Host): boolean {
  return (from.ipv4.length > 0 && to.ipv4.length > 0) || (from.ipv6.length > 0 && to.ipv6.length > 0);
}

/**
 * A domain that accepts mail: anything but an RFC 7505 null MX, whether written `mx: null` or (wrongly,
 * mx-null-alone says so) as list entries that all name the root.
 */
export function isReceiving(domain: Domain): boolean {
  return !domain.nullMx && !(domain.mx.length > 0 && domain.mx.every((m) => m.exchange === ''));
}

/** Caches one derived fact per plan; the plan is immutable, so the fact never goes stale. */
export function perPlan<T>(derive: (plan: Plan) => T): (plan: Plan) => T {
  const cache = new WeakMap<Plan, T>();
  return (plan) => {
    let value = cache.get(plan);
    if (value === undefined) cache.set(plan, (value = derive(plan)));
    return value;
  };
}

/**
 * The zones whose records the plan writes (mail domains and `zones:`), and the closest one
 * enclosing a name, as the record derivation finds it: one map lookup per label.
 */
export interface ManagedZones {
  has(name: string): boolean;
  enclosing(name: string): string | undefined;
}

export const managedZones = perPlan((plan): ManagedZones => {
  const names = new Set([...plan.domains.keys(), ...plan.zones.map((z) => z.name)]);
  return {
    has: (name) => names.has(name),
    enclosing: (name) => {
      for (let candidate = name; ;) {
        if (names.has(candidate)) return candidate;
        const dot = candidate.indexOf('.');
        if (dot < 0) return undefined;
        candidate = candidate.slice(dot + 1);
      }
    },
  };
});

/** Users of one domain that name the same home (as written). */
export interface HomeGroup {
  readonly homeId: string;
  readonly home: Host | undefined;
  count: number;
  /** The first users, in plan order (YAML first, then CSV rows). */
  readonly sample: User[];
}

export interface HostLoad {
  mailboxes: number;
  /** Summed planned quotas, bytes. */
  quota: number;
  /** Users with no quota (neither their own nor `defaults.quota`): not counted in `quota`. */
  withoutQuota: number;
}

export interface UserIndex {
  /** Per domain, its users grouped by home id, in first-seen order. */
  readonly homes: ReadonlyMap<Domain, ReadonlyMap<string, HomeGroup>>;
  /** Per planned host, the mailboxes it holds. */
  readonly load: ReadonlyMap<Host, HostLoad>;
}

/** One pass over every user of the plan. */
export const userIndex = perPlan((plan): UserIndex => {
  const homes = new Map<Domain, Map<string, HomeGroup>>();
  const load = new Map<Host, HostLoad>();
  for (const domain of plan.domains.values()) {
    const groups = new Map<string, HomeGroup>();
    homes.set(domain, groups);
    for (const user of domain.users.values()) {
      let group = groups.get(user.homeId);
      if (!group) groups.set(user.homeId, (group = { homeId: user.homeId, home: user.home, count: 0, sample: [] }));
      group.count++;
      if (group.sample.length < SAMPLE_SIZE) group.sample.push(user);
      if (!user.home) continue;
      let hostLoad = load.get(user.home);
      if (!hostLoad) load.set(user.home, (hostLoad = { mailboxes: 0, quota: 0, withoutQuota: 0 }));
      hostLoad.mailboxes++;
      if (user.quota === undefined) hostLoad.withoutQuota++;
      else hostLoad.quota += user.quota;
    }
  }
  return { homes, load };
});

/** Hosts by the addresses they claim (a host listing one address twice counts once). */
export const hostsByAddress = perPlan((plan): ReadonlyMap<string, readonly Host[]> => {
  const byAddress = new Map<string, Host[]>();
  for (const host of plan.hosts.values()) {
    for (const address of new Set([...host.ipv4, ...host.ipv6])) {
      const hosts = byAddress.get(address);
      if (hosts) hosts.push(host);
      else byAddress.set(address, [host]);
    }
  }
  return byAddress;
});

/** The distinct planned hosts among a domain's MX records, most preferred first. */
export function mxHosts(domain: Domain): Host[] {
  return [...new Set(domain.mx.flatMap((m) => (m.host ? [m.host] : [])))];
}

/**
 * Whether every MX record of the domain names a planned host (or is the null MX root): only then
 * can a rule judge the MX set as a whole. An unplanned target is mx-target-planned's finding, and
 * it may well have been meant as the store or the backup the set seems to lack.
 */
export function mxResolved(domain: Domain): boolean {
  return domain.mx.every((m) => m.host !== undefined || m.exchange === '');
}

/** The domain part of a canonical address ("" when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}
