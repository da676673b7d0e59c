/**
 * The plan as a diagram: domains, their MX records (with preferences) to hosts, the users homed
 * on each host, and the paths mail takes between hosts. One model, drawn as Mermaid or DOT
 * (render.ts) and laid out by Graphviz as SVG (svg.ts) for `mxplan graph` and the dashboard.
 *
 * Derived from the plan alone, in the documented order: domains by name, hosts in the order the
 * topology lists them, users by address. Two kinds of path between hosts:
 * - `forward`: a store that is an MX of a domain takes mail for the domain's users homed
 *   elsewhere and forwards it to their home (store and forward inside the organisation);
 * - `relay`: a relay-only backup MX hands a domain's mail to the domain's more preferred MX
 *   (RFC 5321 §5.1) once one answers.
 */
import type { Plan } from '../topology/types.js';

export interface GraphDomain {
  readonly name: string;
  readonly nullMx: boolean;
  readonly users: number;
  readonly aliases: number;
}

export interface GraphHost {
  readonly id: string;
  readonly fqdn: string;
  readonly role: 'store' | 'relay';
  /** The mailboxes homed here, per domain, addresses' local parts sorted. */
  readonly homes: readonly { readonly domain: string; readonly users: readonly string[] }[];
}

/** An MX record; `host` is a planned host id, else `exchange` names a host outside the plan. */
export interface GraphMx {
  readonly domain: string;
  readonly preference: number;
  readonly host: string | undefined;
  readonly exchange: string;
}

export interface GraphPath {
  readonly kind: 'forward' | 'relay';
  readonly from: string;
  readonly to: string;
  /** forward: the addresses forwarded; relay: the domains relayed. */
  readonly what: readonly string[];
}

export interface PlanGraph {
  readonly domains: readonly GraphDomain[];
  readonly hosts: readonly GraphHost[];
  readonly mx: readonly GraphMx[];
  /** MX targets outside the plan, by name. */
  readonly external: readonly string[];
  readonly paths: readonly GraphPath[];
}

export function planGraph(plan: Plan): PlanGraph {
  const domains = [...plan.domains.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const homes = new Map<string, Map<string, string[]>>();
  const paths = new Map<string, { kind: GraphPath['kind']; from: string; to: string; what: string[] }>();
  const path = (kind: GraphPath['kind'], from: string, to: string, what: string) => {
    const key = `${kind} ${from} ${to}`;
    let p = paths.get(key);
    if (!p) paths.set(key, (p = { kind, from, to, what: [] }));
    if (!p.what.includes(what)) p.what.push(what);
  };
  const mx: GraphMx[] = [];
  const external = new Set<string>();

  for (const domain of domains) {
    for (const user of [...domain.users.values()].sort((a, b) => (a.local < b.local ? -1 : 1))) {
      if (!user.home) continue;
      let perDomain = homes.get(user.home.id);
      if (!perDomain) homes.set(user.home.id, (perDomain = new Map<string, string[]>()));
      let locals = perDomain.get(domain.name);
      if (!locals) perDomain.set(domain.name, (locals = []));
      locals.push(user.local);
    }
    if (domain.nullMx) continue;
    for (const entry of domain.mx) {
      mx.push({ domain: domain.name, preference: entry.preference, host: entry.host?.id, exchange: entry.exchange });
      if (!entry.host) {
        external.add(entry.exchange);
        continue;
      }
      const host = entry.host;
      if (host.role === 'relay') {
        for (const better of domain.mx)
          if (better.preference < entry.preference && better.host) path('relay', host.id, better.host.id, domain.name);
        continue;
      }
      for (const user of [...domain.users.values()].sort((a, b) => (a.address < b.address ? -1 : 1)))
        if (user.home && user.home.id !== host.id) path('forward', host.id, user.home.id, user.address);
    }
  }

  return {
    domains: domains.map((d) => ({ name: d.name, nullMx: d.nullMx, users: d.users.size, aliases: d.aliases.size })),
    hosts: [...plan.hosts.values()].map((h) => ({
      id: h.id,
      fqdn: h.fqdn,
      role: h.role,
      homes: [...(homes.get(h.id) ?? new Map<string, string[]>())].map(([domain, users]) => ({ domain, users })),
    })),
    mx,
    external: [...external].sort(),
    paths: [...paths.values()],
  };
}

/** At most `max` items, then "+N more": a host with thousands of users still fits on a page. */
export function abridged(items: readonly string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} +${items.length - max} more`;
}
