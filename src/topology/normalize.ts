/**
 * One canonicalising pass from the raw document (already shape-checked) to the Plan.
 *
 * Everything that can be settled once is settled here: lowercase A-label names without the
 * trailing dot, addresses completed with their domain, defaults filled, sizes in bytes and
 * durations in seconds, references between hosts, domains, users and aliases resolved.
 * Nothing here judges the plan: a dangling reference stays visible (host undefined) for lint.
 */
import { dirname } from 'node:path';
import { ruleLevel, type SourceLocation } from '../diagnostics.js';
import { AddressBook } from './address-book.js';
import type { UsersTable } from './csv.js';
import {
  keyFileOf,
  keyOf,
  keyPathOf,
  parseAlgorithm,
  planDay,
  selectorSources,
  type KeyFileRead,
  type RawDkimSelector,
} from './dkim.js';
import { canonicalIP, isAligned, parseCidr, reverseZoneName } from './ip.js';
import { canonicalAddress, canonicalLocal, canonicalName, isInZone, splitAddress } from './names.js';
import type { Removed, UncheckedParts } from './partial.js';
import type { PathSegments, SourceMap } from './source-map.js';
import type {
  Alias,
  DkimKey,
  DkimSelector,
  Dmarc,
  Domain,
  Host,
  InfraZone,
  MtaSts,
  MxEntry,
  NameServer,
  WebHost,
  Plan,
  ReverseZone,
  Soa,
  SpfPolicy,
  TlsRpt,
  User,
} from './types.js';
import { parseDuration, parseSize } from './units.js';

type Duration = string | number;
type Size = string | number;

export interface RawTopology {
  version: 1;
  defaults?: {
    ttl?: number;
    quota?: Size;
    connectionsPerUser?: number;
    queueLifetime?: Duration;
    plannedOutage?: Duration;
    hopLimit?: number;
    dkim?: RawDkimSelector[];
  };
  dns: {
    soa: { contact: string; refresh?: Duration; retry?: Duration; expire?: Duration; minimum?: Duration };
    nameservers: { name: string; ipv4?: string[]; ipv6?: string[] }[];
    reverse?: string[];
  };
  zones?: string[];
  hosts: Record<string, RawHost>;
  web?: Record<string, { fqdn: string; ipv4?: string[]; ipv6?: string[] }>;
  domains: Record<string, RawDomain | null>;
  logins?: { proxy?: boolean };
  lint?: { rules?: Record<string, string> };
}

interface RawHost {
  fqdn: string;
  ipv4?: string[];
  ipv6?: string[];
  role?: 'store' | 'relay';
  helo?: string;
  sends?: boolean;
  limits?: { connections?: number; mailboxes?: number; storage?: Size };
  queue?: { lifetime?: Duration };
  smtp?: { sessions?: number; sessionsPerClient?: number };
}

interface RawDomain {
  mx?: { host: string; preference: number }[] | null;
  users?: Record<string, string | { host: string; quota?: Size }>;
  usersFile?: string;
  aliases?: Record<string, string[]>;
  senders?: string[];
  spf?: { policy?: SpfPolicy['all']; include?: string[]; ip4?: string[]; ip6?: string[] };
  dmarc?: { policy: string; subdomainPolicy?: string; pct?: number; rua?: string[]; ruf?: string[] };
  mtaSts?: { mode: MtaSts['mode']; id?: string; maxAge?: Duration; host?: string; mx?: string[] };
  tlsRpt?: { rua: string[] };
  dkim?: RawDkimSelector[];
  ttl?: number;
}

/** The files a topology names beside it, read by the loader (load.ts) before normalize. */
export interface Siblings {
  /** Users CSVs, by the domain (as written) that names them. */
  readonly usersFiles: ReadonlyMap<string, UsersTable>;
  /** DKIM key files, by absolute path. */
  readonly keyFiles: ReadonlyMap<string, KeyFileRead>;
}

/** Defaults that the topology may override, with the reason for each. */
export const DEFAULTS = {
  ttl: 3600,
  soa: { refresh: 7200, retry: 3600, expire: 1209600, minimum: 3600 }, // RFC 1912 §2.2 ranges
  queueLifetime: 5 * 86400, // RFC 5321 §4.5.4.1: give up after at least 4-5 days
  plannedOutage: 2 * 86400,
  hopLimit: 50, // Postfix hopcount_limit; Gmail rejects at 50 hops as well
  connectionsPerUser: 0,
  mtaStsMaxAge: 604800,
  // Postfix: default_process_limit (smtpd processes) and anvil's smtpd_client_connection_count_limit
  smtp: { sessions: 100, sessionsPerClient: 50 },
} as const;

/**
 * Parts removed from a topology whose shape failed in places (partial.ts), and the unchecked
 * parts to which normalize adds whatever refers to them.
 */
export interface PartialInput {
  readonly removed: Removed;
  readonly unchecked: UncheckedParts;
}

export function normalize(raw: RawTopology, source: SourceMap, siblings: Siblings, partial?: PartialInput): Plan {
  const at = (...segments: PathSegments) => source.atPath(segments);
  const defaults = raw.defaults ?? {};
  const ttl = defaults.ttl ?? DEFAULTS.ttl;
  const queueLifetime = duration(defaults.queueLifetime, DEFAULTS.queueLifetime);
  const context: Context = {
    raw,
    source,
    at,
    ttl,
    defaultQuota: defaults.quota === undefined ? undefined : parseSize(defaults.quota),
    hosts: hostsOf(raw, source, queueLifetime),
    web: webHostsOf(raw, source),
    refersToRemoved: removedReferences(partial),
    keys: keyParser(siblings.keyFiles),
  };
  const { domains, repeatedDomains } = domainsOf(context, siblings.usersFiles);
  const { soa, nameservers, reverse, invalidReverse } = dnsOf(context);
  const zones: InfraZone[] = (raw.zones ?? []).map((z, i) => ({ name: canonicalName(z), at: at('zones', i) }));
  const plan: Plan = {
    file: source.file,
    ttl,
    hopLimit: defaults.hopLimit ?? DEFAULTS.hopLimit,
    plannedOutage: duration(defaults.plannedOutage, DEFAULTS.plannedOutage),
    connectionsPerUser: defaults.connectionsPerUser ?? DEFAULTS.connectionsPerUser,
    soa,
    nameservers,
    reverse,
    invalidReverse,
    zones,
    hosts: context.hosts.byId,
    web: context.web,
    domains,
    repeatedDomains,
    addresses: new AddressBook(domains),
    logins: { proxy: raw.logins?.proxy ?? false, at: raw.logins ? at('logins') : undefined },
    ruleLevels: new Map(
      Object.entries(raw.lint?.rules ?? {}).map(([id, level]) => [
        id,
        // The schema allows only level words; `warn` becomes `warning` here.
        { level: ruleLevel(level)!, at: source.keyAtPath(['lint', 'rules', id]) },
      ]),
    ),
    at: source.at(''),
  };
  if (partial) spreadUnchecked(plan, context.refersToRemoved, partial.unchecked);
  return plan;
}

interface Context {
  readonly raw: RawTopology;
  readonly source: SourceMap;
  readonly at: (...segments: PathSegments) => SourceLocation;
  readonly ttl: number;
  readonly defaultQuota: number | undefined;
  readonly hosts: { readonly byId: ReadonlyMap<string, Host>; readonly resolve: (ref: string) => Host | undefined };
  readonly web: ReadonlyMap<string, WebHost>;
  readonly refersToRemoved: RemovedReferences;
  /** The key at an absolute path, parsed once however many selectors share the file. */
  readonly keys: (file: string) => DkimKey;
}

function keyParser(files: ReadonlyMap<string, KeyFileRead>): (file: string) => DkimKey {
  const parsed = new Map<string, DkimKey>();
  return (file) => {
    let key = parsed.get(file);
    if (!key) parsed.set(file, (key = keyOf(files.get(file))));
    return key;
  };
}

function hostsOf(raw: RawTopology, source: SourceMap, queueLifetime: number): Context['hosts'] {
  const byId = new Map<string, Host>();
  for (const [id, h] of Object.entries(raw.hosts)) {
    const role = h.role ?? 'store';
    const fqdn = canonicalName(h.fqdn);
    byId.set(id, {
      id,
      fqdn,
      ipv4: h.ipv4 ?? [],
      ipv6: (h.ipv6 ?? []).map(canonicalIP),
      role,
      helo: h.helo ? canonicalName(h.helo) : fqdn,
      sends: h.sends ?? role === 'store',
      limits: {
        connections: h.limits?.connections,
        mailboxes: h.limits?.mailboxes,
        storage: h.limits?.storage === undefined ? undefined : parseSize(h.limits.storage),
      },
      queueLifetime: duration(h.queue?.lifetime, queueLifetime),
      smtp: {
        sessions: h.smtp?.sessions ?? DEFAULTS.smtp.sessions,
        sessionsPerClient: h.smtp?.sessionsPerClient ?? DEFAULTS.smtp.sessionsPerClient,
      },
      at: source.atPath(['hosts', id]),
      fields: fieldsOf(source, ['hosts', id], ['fqdn', 'ipv4', 'ipv6', 'role', 'limits', 'helo', 'queue', 'smtp']),
    });
  }
  // Two hosts with one fqdn: the first is the one a name resolves to (host-fqdn-unique reports the second).
  const byFqdn = new Map<string, Host>();
  for (const host of byId.values()) if (!byFqdn.has(host.fqdn)) byFqdn.set(host.fqdn, host);
  return { byId, resolve: (ref) => byId.get(ref) ?? byFqdn.get(canonicalName(ref)) };
}

function webHostsOf(raw: RawTopology, source: SourceMap): Map<string, WebHost> {
  const web = new Map<string, WebHost>();
  for (const [id, w] of Object.entries(raw.web ?? {})) {
    web.set(id, {
      id,
      fqdn: canonicalName(w.fqdn),
      ipv4: w.ipv4 ?? [],
      ipv6: (w.ipv6 ?? []).map(canonicalIP),
      at: source.atPath(['web', id]),
    });
  }
  return web;
}

function domainsOf(
  context: Context,
  usersFiles: ReadonlyMap<string, UsersTable>,
): { domains: Map<string, Domain>; repeatedDomains: Domain[] } {
  const domains = new Map<string, Domain>();
  const repeatedDomains: Domain[] = [];
  for (const [display, spec] of Object.entries(context.raw.domains)) {
    const domain = domainOf(context, display, spec ?? {}, usersFiles.get(display));
    // Names are case-insensitive and IDN has two spellings: the first block is kept, domain-unique reports the other.
    if (domains.has(domain.name)) repeatedDomains.push(domain);
    else domains.set(domain.name, domain);
  }
  return { domains, repeatedDomains };
}

function domainOf(context: Context, display: string, d: RawDomain, csv: UsersTable | undefined): Domain {
  const { at, source, hosts } = context;
  const name = canonicalName(display);
  const base = ['domains', display] as const;

  const mx: MxEntry[] = (d.mx ?? [])
    .map((m, i) => {
      const host = hosts.resolve(m.host);
      return {
        preference: m.preference,
        exchange: host ? host.fqdn : canonicalName(m.host),
        raw: m.host,
        host,
        at: at(...base, 'mx', i),
      };
    })
    .sort((a, b) => a.preference - b.preference); // stable: equal preferences keep the written order

  const users = new Map<string, User>();
  const repeatedUsers: User[] = [];
  const homeIds = new Set<string>();
  /** `where`: the user's location, or the CSV rows whose row `row` it is. */
  const addUser = (localRaw: string, homeId: string, quota: Size | undefined, where: Where, row = 0) => {
    const parts = localRaw.includes('@') ? splitAddress(localRaw) : undefined;
    const local = parts ? parts.local : canonicalLocal(localRaw);
    const user: User = new PlannedUser(
      local,
      // Joined, not concatenated: one flat string, where `${local}@${name}` keeps a rope over a
      // copy of "local@" (56 bytes instead of 40, for each of a million users).
      [local, name].join('@'),
      name,
      homeId,
      hosts.resolve(homeId),
      quota === undefined ? context.defaultQuota : parseSize(quota),
      where,
      row,
    );
    // The first definition wins; lint reports the repeat at its own line.
    if (users.has(local)) {
      repeatedUsers.push(user);
    } else {
      users.set(local, user);
      homeIds.add(homeId);
    }
  };
  for (const [local, u] of Object.entries(d.users ?? {})) {
    const location = at(...base, 'users', local);
    if (typeof u === 'string') addUser(local, u, undefined, location);
    else addUser(local, u.host, u.quota, location);
  }
  if (csv) {
    const { file, locals, hosts: homes, quotas, lines } = csv;
    const rows: CsvRows = { file, lines }; // not the table: its other columns go once the users are made
    for (let row = 0; row < locals.length; row++) addUser(locals[row]!, homes[row]!, quotas?.[row], rows, row);
  }

  const aliases = new Map<string, Alias>();
  const repeatedAliases: Alias[] = [];
  for (const [localRaw, members] of Object.entries(d.aliases ?? {})) {
    const local = canonicalLocal(localRaw);
    const alias: Alias = {
      local,
      address: `${local}@${name}`,
      domain: name,
      members: members.map((m, i) => ({
        raw: m,
        address: canonicalAddress(m, name),
        at: at(...base, 'aliases', localRaw, i),
      })),
      at: at(...base, 'aliases', localRaw),
    };
    if (aliases.has(local)) repeatedAliases.push(alias);
    else aliases.set(local, alias);
  }

  const sendingHomes = [...homeIds].map(hosts.resolve).filter((h): h is Host => h?.sends === true);
  const senders = d.senders
    ? d.senders.map(hosts.resolve).filter((h): h is Host => h !== undefined)
    : uniqueHosts(sendingHomes);
  const outbound = uniqueHosts([...senders, ...sendingHomes]);

  return {
    name,
    display,
    nullMx: d.mx === null,
    mxDeclared: d.mx !== undefined,
    mx,
    users,
    homeIds,
    repeatedUsers,
    aliases,
    repeatedAliases,
    senders,
    unknownSenders: (d.senders ?? []).flatMap((raw, i) =>
      hosts.resolve(raw) ? [] : [{ raw, at: at(...base, 'senders', i) }],
    ),
    outbound,
    dkim: dkimOf(context, display, name, d, outbound),
    spf: {
      all: d.spf?.policy ?? '-all',
      include: (d.spf?.include ?? []).map(canonicalName),
      ip4: d.spf?.ip4 ?? [],
      ip6: d.spf?.ip6 ?? [],
      at: d.spf ? at(...base, 'spf') : undefined,
    },
    dmarc: d.dmarc && dmarcOf(d.dmarc, at(...base, 'dmarc')),
    mtaSts: d.mtaSts && mtaStsOf(context, d.mtaSts, mx, [...base, 'mtaSts']),
    tlsRpt: d.tlsRpt && ({ rua: d.tlsRpt.rua, at: at(...base, 'tlsRpt') } satisfies TlsRpt),
    ttl: d.ttl ?? context.ttl,
    at: source.keyAtPath(base),
    fields: fieldsOf(source, base, ['mx', 'users', 'aliases', 'spf', 'dmarc', 'senders', 'dkim']),
  };
}

/** The file and line numbers of a CSV table's rows. */
type CsvRows = Pick<UsersTable, 'file' | 'lines'>;

/** Where a user was written: its location, or the row of a CSV table. */
type Where = SourceLocation | CsvRows;

/**
 * A planned user. One from a CSV file keeps its file's line numbers and its row, and makes its
 * location when asked (a finding, a change): a million users then hold no million location
 * objects, which the garbage collector copied for the whole load (bench/lint.mjs: 13% faster
 * and 48 MiB smaller on the 1M-user plan).
 */
class PlannedUser implements User {
  constructor(
    readonly local: string,
    readonly address: string,
    readonly domain: string,
    readonly homeId: string,
    readonly home: Host | undefined,
    readonly quota: number | undefined,
    private readonly where: Where,
    private readonly row: number,
  ) {}

  get at(): SourceLocation {
    const { where } = this;
    // The first cell of the row: the CSV reader checks the cells, and lint names the user.
    return 'lines' in where ? { file: where.file, line: where.lines[this.row]!, column: 1, path: '' } : where;
  }
}

/** A domain's selectors: the key of each parsed once, its signers resolved, its lifecycle settled. */
function dkimOf(
  context: Context,
  display: string,
  domain: string,
  d: RawDomain,
  outbound: readonly Host[],
): DkimSelector[] {
  const { source, hosts } = context;
  const dir = dirname(source.file);
  return selectorSources(display, d, context.raw.defaults?.dkim).map(({ raw, path, fromDefaults }) => {
    const selector = raw.selector.toLowerCase();
    const keyPath = keyPathOf(raw.key, domain, selector);
    const keyFile = keyFileOf(dir, keyPath);
    const key = context.keys(keyFile);
    const retired = planDay(raw.retired);
    const removed = planDay(raw.removed);
    const pinnedPublicKey = raw.publicKey;
    return {
      selector,
      domain,
      algorithm: raw.algorithm,
      ...parseAlgorithm(raw.algorithm),
      keyPath,
      keyFile,
      key,
      pinnedPublicKey,
      published: removed ? '' : (pinnedPublicKey ?? (key.status === 'ok' ? key.publicKey : undefined)),
      signers: raw.hosts
        ? uniqueHosts(raw.hosts.map(hosts.resolve).filter((h): h is Host => h !== undefined))
        : [...outbound],
      unknownSigners: (raw.hosts ?? []).flatMap((ref, i) =>
        hosts.resolve(ref) ? [] : [{ raw: ref, at: source.atPath([...path, 'hosts', i]) }],
      ),
      active: !retired && !removed && raw.active !== false,
      retired,
      removed,
      fromDefaults,
      at: source.atPath(path),
      fields: fieldsOf(source, path, ['key', 'algorithm', 'hosts', 'retired', 'removed', 'publicKey']),
    } satisfies DkimSelector;
  });
}

function dnsOf(context: Context): Pick<Plan, 'soa' | 'nameservers' | 'reverse' | 'invalidReverse'> {
  const { raw, at } = context;
  const soaRaw = raw.dns.soa;
  const soa: Soa = {
    contact: canonicalAddress(soaRaw.contact),
    refresh: duration(soaRaw.refresh, DEFAULTS.soa.refresh),
    retry: duration(soaRaw.retry, DEFAULTS.soa.retry),
    expire: duration(soaRaw.expire, DEFAULTS.soa.expire),
    minimum: duration(soaRaw.minimum, DEFAULTS.soa.minimum),
    at: at('dns', 'soa'),
  };
  const nameservers: NameServer[] = raw.dns.nameservers.map((ns, i) => ({
    name: canonicalName(ns.name),
    ipv4: ns.ipv4 ?? [],
    ipv6: (ns.ipv6 ?? []).map(canonicalIP),
    at: at('dns', 'nameservers', i),
  }));
  const reverse: ReverseZone[] = (raw.dns.reverse ?? []).flatMap((cidr, i) => {
    const network = parseCidr(cidr);
    if (!network) return []; // schema-valid but not a network (e.g. 300.0.0.0/8): lint's reverse-zone-valid says so
    return [
      {
        cidr: `${network.address}/${network.prefix}`,
        family: network.family,
        zone: reverseZoneName(network),
        aligned: isAligned(network),
        at: at('dns', 'reverse', i),
      },
    ];
  });
  const invalidReverse = (raw.dns.reverse ?? []).flatMap((cidr, i) =>
    parseCidr(cidr) ? [] : [{ raw: cidr, at: at('dns', 'reverse', i) }],
  );
  return { soa, nameservers, reverse, invalidReverse };
}

/** Whether a reference names something removed from a partial topology. */
interface RemovedReferences {
  readonly host: (ref: string) => boolean;
  readonly web: (ref: string) => boolean;
  /** A canonical domain name, or a name inside one. */
  readonly name: (name: string) => boolean;
  /** A canonical address, or one in a removed domain. */
  readonly address: (address: string) => boolean;
}

function removedReferences(partial: PartialInput | undefined): RemovedReferences {
  const hosts = partial?.removed.hosts ?? new Set<string>();
  const web = partial?.removed.web ?? new Set<string>();
  const domains = [...(partial?.removed.domains ?? [])].map(canonicalName);
  const addresses = new Set(
    (partial?.removed.addresses ?? []).map(([domain, , local]) => canonicalAddress(local, canonicalName(domain))),
  );
  const name = (n: string) => domains.some((d) => isInZone(n, d));
  return {
    host: (ref) => hosts.has(ref),
    web: (ref) => web.has(ref),
    name,
    address: (address) => addresses.has(address) || name(address.slice(address.lastIndexOf('@') + 1)),
  };
}

/**
 * Marks as unchecked every part of the plan that refers to a part removed for its shape: lint's
 * findings there ("MX target store1 is not a planned host") would only echo the shape error.
 */
function spreadUnchecked(plan: Plan, removed: RemovedReferences, unchecked: UncheckedParts): void {
  const mark = (at: SourceLocation) => unchecked.add(at);
  for (const host of plan.hosts.values()) if (removed.name(host.fqdn) || removed.name(host.helo)) mark(host.at);
  for (const ns of plan.nameservers) if (removed.name(ns.name)) mark(ns.at);
  if (removed.address(plan.soa.contact)) mark(plan.soa.at);
  for (const domain of plan.domains.values()) {
    for (const m of domain.mx) if (!m.host && removed.host(m.raw)) mark(m.at);
    for (const user of domain.users.values()) if (!user.home && removed.host(user.homeId)) mark(user.at);
    for (const sender of domain.unknownSenders) if (removed.host(sender.raw)) mark(sender.at);
    for (const alias of domain.aliases.values()) {
      for (const member of alias.members) if (removed.address(member.address)) mark(member.at);
    }
    if (domain.spf.at && domain.spf.include.some(removed.name)) mark(domain.spf.at);
    const { dmarc, tlsRpt, mtaSts } = domain;
    if (mtaSts?.hostId !== undefined && !mtaSts.host && removed.web(mtaSts.hostId)) mark(mtaSts.at);
    if (dmarc && [...dmarc.rua, ...dmarc.ruf].some(removed.address)) mark(dmarc.at);
    if (tlsRpt && tlsRpt.rua.some((uri) => removed.address(canonicalAddress(uri.replace(/^mailto:/i, ''))))) {
      mark(tlsRpt.at);
    }
  }
}

function duration(value: Duration | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}

function uniqueHosts(hosts: Host[]): Host[] {
  return [...new Set(hosts)].sort((a, b) => a.id.localeCompare(b.id));
}

function mailto(uri: string): string {
  return canonicalAddress(uri.replace(/^mailto:/i, ''));
}

function dmarcOf(d: NonNullable<RawDomain['dmarc']>, location: SourceLocation): Dmarc {
  return {
    policy: d.policy,
    subdomainPolicy: d.subdomainPolicy,
    pct: d.pct,
    rua: (d.rua ?? []).map(mailto),
    ruf: (d.ruf ?? []).map(mailto),
    at: location,
  };
}

function mtaStsOf(
  context: Context,
  m: NonNullable<RawDomain['mtaSts']>,
  mx: readonly MxEntry[],
  base: readonly string[],
): MtaSts {
  // A leading "*." stays: RFC 8461 §4.1 wildcards cover one label, the rest is a name like any other.
  const pattern = (p: string) => (p.startsWith('*.') ? `*.${canonicalName(p.slice(2))}` : canonicalName(p));
  return {
    mode: m.mode,
    id: m.id,
    maxAge: duration(m.maxAge, DEFAULTS.mtaStsMaxAge),
    hostId: m.host,
    host: m.host === undefined ? undefined : context.web.get(m.host),
    mx: m.mx ? [...new Set(m.mx.map(pattern))] : [...new Set(mx.map((e) => e.exchange))],
    mxDeclared: m.mx !== undefined,
    at: context.at(...base),
    fields: fieldsOf(context.source, base, ['id', 'host', 'mx']),
  };
}

function fieldsOf<K extends string>(
  source: SourceMap,
  base: PathSegments,
  keys: readonly K[],
): Partial<Record<K, SourceLocation>> {
  const fields: Partial<Record<K, SourceLocation>> = {};
  for (const key of keys) fields[key] = source.atPath([...base, key]);
  return fields;
}
