/**
 * Facts several rules derive from the plan, each computed once per plan (cached by plan object):
 * a rule that needs per-user totals reads them here instead of walking a million users again.
 *
 * Everything is linear in the size of the plan; nothing here judges it.
 */
import { canonicalIP, familyOf } from '../topology/ip.js';
import { localPartProblem, nameSyntaxProblem, splitAddress } from '../topology/names.js';
import type { Domain, Host, Plan, User } from '../topology/types.js';

/** How many users each group keeps as examples (for messages and related locations). */
const SAMPLE_SIZE = 4;

/**
 * The canonical address of a name written as an address literal (`192.0.2.1`, `[192.0.2.1]`,
 * `2001:db8::1`, `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3), or undefined for a name.
 */
export function ipLiteral(text: string): string | undefined {
  const bare = text
    .trim()
    .replace(/^\[(ipv6:)?/i, '')
    .replace(/\]$/, '')
    .replace(/\.$/, '');
  return familyOf(bare) === undefined ? undefined : canonicalIP(bare);
}

export function isIpLiteral(text: string): boolean {
  return ipLiteral(text) !== undefined;
}

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

/** "1 user", "3 users"; "1 mailbox", "2 mailboxes" with the plural given. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** "a, b and c"; "a, b, c and 4 more" past `limit`. */
export function listOf(items: readonly string[], limit = 5): string {
  if (items.length <= 1) return items.join('');
  if (items.length > limit) return `${items.slice(0, limit).join(', ')} and ${items.length - limit} more`;
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Caches one derived fact per plan; the plan is immutable, so the fact never goes stale. */
function perPlan<T>(derive: (plan: Plan) => T): (plan: Plan) => T {
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

/** Where mail accepted for a domain ends up, seen from the store that accepts it. */
export interface Deliveries {
  /** Home hosts of the domain's users and of the planned users its aliases name (one level). */
  readonly homes: ReadonlySet<Host>;
  /** Some alias member lies outside the planned domains: the accepting store sends it on. */
  readonly leavesPlan: boolean;
}

export const deliveries = perPlan((plan): ReadonlyMap<Domain, Deliveries> => {
  const { homes: groups } = userIndex(plan);
  const result = new Map<Domain, Deliveries>();
  for (const domain of plan.domains.values()) {
    const homes = new Set<Host>();
    for (const group of groups.get(domain)!.values()) if (group.home) homes.add(group.home);
    let leavesPlan = false;
    for (const alias of domain.aliases.values()) {
      for (const member of alias.members) {
        const target = plan.addresses.get(member.address);
        if (target?.kind === 'user' && target.user.home) homes.add(target.user.home);
        else if (!target && !plan.domains.has(domainOf(member.address))) leavesPlan = true;
      }
    }
    result.set(domain, { homes, leavesPlan });
  }
  return result;
});

/** Whether store `store`, accepting mail for `domain`, passes some of it on to another host. */
export function forwardsFor(plan: Plan, store: Host, domain: Domain): boolean {
  const { homes, leavesPlan } = deliveries(plan).get(domain)!;
  if (leavesPlan) return true;
  for (const home of homes) if (home !== store) return true;
  return false;
}

/** The domain part of a canonical address ("" when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/** What is wrong with a full address (RFC 5321 §4.1.2 dot-atom local part, host-name domain), or undefined. */
export function addressProblem(address: string): string | undefined {
  const parts = splitAddress(address);
  if (!parts) return 'is not an address (local@domain)';
  const local = localPartProblem(parts.local);
  if (local) return `has a local part that ${local}`;
  const domain = nameSyntaxProblem(parts.domain);
  return domain ? `has a domain that ${domain}` : undefined;
}

/**
 * Every cycle of a directed graph that a depth-first search closes, each once, in the order the
 * nodes are given: [a, b, a] for a → b → a. Iterative, so long chains cannot overflow the stack.
 */
export function findCycles<T>(nodes: Iterable<T>, next: (node: T) => readonly T[]): T[][] {
  const state = new Map<T, 'active' | 'done'>();
  const cycles: T[][] = [];
  for (const root of nodes) {
    if (state.has(root)) continue;
    const stack: { node: T; edges: readonly T[]; index: number }[] = [{ node: root, edges: next(root), index: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const frame = stack.at(-1)!;
      if (frame.index >= frame.edges.length) {
        state.set(frame.node, 'done');
        stack.pop();
        continue;
      }
      const target = frame.edges[frame.index++]!;
      const seen = state.get(target);
      if (seen === 'done') continue;
      if (seen === 'active') {
        const start = stack.findIndex((f) => f.node === target);
        cycles.push([...stack.slice(start).map((f) => f.node), target]);
        continue;
      }
      state.set(target, 'active');
      stack.push({ node: target, edges: next(target), index: 0 });
    }
  }
  return cycles;
}

/** Every DMARC report address a domain plans, with its tag (RFC 7489 §6.3 rua and ruf). */
export function* dmarcReportAddresses(
  plan: Plan,
): Generator<{ domain: Domain; dmarc: NonNullable<Domain['dmarc']>; tag: 'rua' | 'ruf'; address: string }> {
  for (const domain of plan.domains.values()) {
    const { dmarc } = domain;
    if (!dmarc) continue;
    for (const address of dmarc.rua) yield { domain, dmarc, tag: 'rua', address };
    for (const address of dmarc.ruf) yield { domain, dmarc, tag: 'ruf', address };
  }
}
