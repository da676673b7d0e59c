/**
 * Every DNS record the plan publishes, zone by zone: the one derivation behind the zone files,
 * `mxplan records` and the responder.
 *
 * Zones: each mail domain, each infrastructure zone (`zones:`), each reverse zone of
 * `dns.reverse` on an octet or nibble boundary (RFC 2317 classless zones are not generated; lint
 * says so). A name listed both as a domain and under `zones:` is one zone.
 *
 * Records:
 * - at every apex: SOA (MNAME the first name server, RNAME the contact mailbox) and NS (every
 *   planned name server), with the plan's TTL (RFC 1034 §4.2.1);
 * - where one managed zone lies inside another: the NS RRset at the cut in the parent, with glue
 *   for name servers below the cut (RFC 1034 §4.2.1, RFC 9471);
 * - A/AAAA of each host, web host and name server, in the closest enclosing managed zone of its name;
 *   a name server inside the zone it serves so gets its glue at home;
 * - PTR for each host, web host and name-server address inside a managed reverse zone (RFC 1912 §2.1);
 * - per mail domain: MX by preference (or the RFC 7505 null MX `0 .`), SPF, DMARC at `_dmarc`,
 *   MTA-STS at `_mta-sts`, TLS-RPT at `_smtp._tls` and each DKIM selector's key at
 *   `<selector>._domainkey` when planned, and the policy host `mta-sts.<domain>` with the A/AAAA
 *   of the web host that serves the policy (RFC 8461 §3.3);
 * - `D._report._dmarc.R` authorising DMARC reports for D to an address in managed zone R;
 * - SPF at each host's HELO name when it lies in a managed zone (RFC 7208 §2.3).
 *
 * One TTL per RRset (RFC 2181 §5.2): SOA and NS take the plan's TTL, everything else the TTL of
 * its zone (the domain's own `ttl`, else the plan's). Users and aliases produce no records, so the
 * cost is linear in domains + hosts + name servers, whatever the number of users.
 */
import type { SourceLocation } from '../diagnostics.js';
import { reverseName } from '../topology/ip.js';
import { isInZone, splitAddress } from '../topology/names.js';
import type { Domain, Host, Plan } from '../topology/types.js';
import { dkimOwner, dkimText } from './dkim.js';
import { domainDmarc } from './dmarc.js';
import { canonicalKey, compareStrings, sortRecords } from './order.js';
import type { RecordType, ResourceRecord, SoaData, Zone } from './records.js';
import { mtaStsText, tlsRptText } from './smtp-tls.js';
import { policyHostName } from '../tls/mta-sts.js';
import { domainSpf, heloSpf } from './spf.js';
import { characterStrings } from './txt.js';

export interface DeriveOptions {
  /**
   * The SOA serial of every zone. The zone writer settles each zone's own serial afterwards
   * (see serial.ts); the responder serves whatever it is given. Default 1.
   */
  readonly serial?: number;
}

export function deriveZones(plan: Plan, options: DeriveOptions = {}): Zone[] {
  const zones = new ZoneSet();

  for (const domain of plan.domains.values()) {
    zones.open(domain.name, 'domain', domain.at, domain.ttl, domain.display);
  }
  for (const zone of plan.zones) zones.open(zone.name, 'infrastructure', zone.at, plan.ttl);
  for (const reverse of plan.reverse) {
    if (reverse.aligned) zones.open(reverse.zone, 'reverse', reverse.at, plan.ttl);
  }

  const soa = soaData(plan, options.serial ?? 1);
  for (const zone of zones.all()) {
    zone.add(zone.origin, 'SOA', soa, plan.soa.at, plan.ttl);
    for (const ns of plan.nameservers) zone.add(zone.origin, 'NS', ns.name, ns.at, plan.ttl);
  }

  addDelegations(plan, zones);
  addAddresses(plan, zones);
  for (const domain of plan.domains.values()) addMailRecords(domain, zones.get(domain.name)!);
  addDmarcReportAuthorizations(plan, zones);
  addHeloSpf(plan, zones);

  return zones.build();
}

/**
 * The SOA data every zone shares (RFC 1035 §3.3.13): MNAME is the first planned name server,
 * RNAME the contact mailbox as a name.
 */
export function soaData(plan: Plan, serial: number): SoaData {
  return {
    mname: plan.nameservers[0]?.name ?? '',
    rname: mailboxName(plan.soa.contact),
    serial,
    refresh: plan.soa.refresh,
    retry: plan.soa.retry,
    expire: plan.soa.expire,
    minimum: plan.soa.minimum,
  };
}

/**
 * A mailbox as a domain name (RFC 1035 §8): the @ becomes a dot, and dots inside the local part
 * are escaped (`first.last@example.org` → `first\.last.example.org`, RFC 1035 §5.1), the form
 * dns-packet encodes as one label.
 */
export function mailboxName(address: string): string {
  const parts = splitAddress(address);
  if (!parts) return address;
  return `${parts.local.replaceAll('.', '\\.')}.${parts.domain}`;
}

/** The NS RRset at each managed zone's apex again in the managed zone above it, with glue. */
function addDelegations(plan: Plan, zones: ZoneSet): void {
  for (const child of zones.all()) {
    const dot = child.origin.indexOf('.');
    const parent = dot < 0 ? undefined : zones.enclosing(child.origin.slice(dot + 1));
    if (!parent) continue;
    for (const ns of plan.nameservers) {
      parent.add(child.origin, 'NS', ns.name, ns.at, plan.ttl);
      // Glue: a name server below the cut cannot be found without its address in the parent.
      if (!isInZone(ns.name, child.origin)) continue;
      for (const a of ns.ipv4) parent.add(ns.name, 'A', a, ns.at);
      for (const aaaa of ns.ipv6) parent.add(ns.name, 'AAAA', aaaa, ns.at);
    }
  }
}

/** A/AAAA of hosts, web hosts and name servers, and PTR for their addresses in managed reverse zones. */
function addAddresses(plan: Plan, zones: ZoneSet): void {
  const named = [
    ...[...plan.hosts.values()].map((h) => ({
      name: h.fqdn,
      ipv4: h.ipv4,
      ipv6: h.ipv6,
      at: h.at,
      at4: h.fields.ipv4 ?? h.at,
      at6: h.fields.ipv6 ?? h.at,
    })),
    ...[...plan.web.values()].map((w) => ({
      name: w.fqdn,
      ipv4: w.ipv4,
      ipv6: w.ipv6,
      at: w.at,
      at4: w.at,
      at6: w.at,
    })),
    ...plan.nameservers.map((ns) => ({ ...ns, at4: ns.at, at6: ns.at })),
  ];
  for (const { name, ipv4, ipv6, at, at4, at6 } of named) {
    const home = zones.enclosing(name);
    for (const a of ipv4) home?.add(name, 'A', a, at4);
    for (const aaaa of ipv6) home?.add(name, 'AAAA', aaaa, at6);
    for (const address of [...ipv4, ...ipv6]) {
      const owner = reverseName(address);
      const reverse = zones.enclosing(owner);
      if (reverse?.kind === 'reverse') reverse.add(owner, 'PTR', name, at);
    }
  }
}

function addMailRecords(domain: Domain, zone: ZoneDraft): void {
  const apex = domain.name;
  const mxAt = domain.fields.mx ?? domain.at;
  if (domain.nullMx) {
    zone.add(apex, 'MX', { preference: 0, exchange: '' }, mxAt); // RFC 7505 §3: "0 ." and nothing else
  } else {
    for (const mx of domain.mx) zone.add(apex, 'MX', { preference: mx.preference, exchange: mx.exchange }, mx.at);
  }
  // Without an `spf` key the policy follows from the domain's senders: the finding goes to the domain.
  zone.add(apex, 'TXT', characterStrings(domainSpf(domain)), domain.spf.at ?? domain.at);

  const dmarc = domainDmarc(domain);
  if (dmarc) zone.add(`_dmarc.${apex}`, 'TXT', characterStrings(dmarc), domain.dmarc?.at ?? mxAt);
  const { mtaSts } = domain;
  if (mtaSts) {
    zone.add(`_mta-sts.${apex}`, 'TXT', characterStrings(mtaStsText(mtaSts)), mtaSts.at);
    // The policy host is a name of its own, with the web host's addresses (no CNAME: the name
    // must be valid in the web host's certificate either way, and A/AAAA keep one lookup).
    const at = mtaSts.fields.host ?? mtaSts.at;
    for (const a of mtaSts.host?.ipv4 ?? []) zone.add(policyHostName(apex), 'A', a, at);
    for (const aaaa of mtaSts.host?.ipv6 ?? []) zone.add(policyHostName(apex), 'AAAA', aaaa, at);
  }
  if (domain.tlsRpt)
    zone.add(`_smtp._tls.${apex}`, 'TXT', characterStrings(tlsRptText(domain.tlsRpt)), domain.tlsRpt.at);
  // RFC 6376 §3.6.2.2: a key longer than one character-string is split; verifiers join the strings.
  for (const selector of domain.dkim) {
    const text = dkimText(selector);
    if (text !== undefined) zone.add(dkimOwner(selector), 'TXT', characterStrings(text), selector.at);
  }
}

/**
 * RFC 7489 §7.1: a receiver sends aggregate or failure reports for policy domain D to an address
 * in another organisation's domain R only if `D._report._dmarc.R` holds `v=DMARC1`. When R is a
 * zone of this plan, the plan publishes that authorisation itself (the hosting provider that
 * collects its customers' reports, say). Same-organisation addresses need none; as in lint's
 * dmarc-report-external-authorized, a parent or child domain counts as the same organisation.
 */
function addDmarcReportAuthorizations(plan: Plan, zones: ZoneSet): void {
  for (const domain of plan.domains.values()) {
    if (!domain.dmarc) continue;
    for (const address of [...domain.dmarc.rua, ...domain.dmarc.ruf]) {
      const reportDomain = splitAddress(address)?.domain;
      if (!reportDomain || isInZone(reportDomain, domain.name) || isInZone(domain.name, reportDomain)) continue;
      const owner = `${domain.name}._report._dmarc.${reportDomain}`;
      zones.enclosing(owner)?.add(owner, 'TXT', characterStrings('v=DMARC1'), domain.dmarc.at);
    }
  }
}

/**
 * SPF at each HELO name in a managed zone, one record for all hosts sharing the name. A HELO name
 * that is a mail domain's apex is skipped: that name already has the domain's policy, and two SPF
 * records at one name are a permerror (RFC 7208 §4.5).
 */
function addHeloSpf(plan: Plan, zones: ZoneSet): void {
  const byHelo = new Map<string, Host[]>();
  for (const host of plan.hosts.values()) {
    const hosts = byHelo.get(host.helo);
    if (hosts) hosts.push(host);
    else byHelo.set(host.helo, [host]);
  }
  for (const [helo, hosts] of byHelo) {
    if (plan.domains.has(helo)) continue;
    zones.enclosing(helo)?.add(helo, 'TXT', characterStrings(heloSpf(hosts)), hosts[0]!.fields.helo ?? hosts[0]!.at);
  }
}

/** The data shape of a record type (NS, PTR and CNAME share one member of the union). */
type DataOf<T extends RecordType> = ResourceRecord extends infer R
  ? R extends { readonly type: infer U; readonly data: infer D }
    ? T extends U
      ? D
      : never
    : never
  : never;

interface RRset {
  readonly name: string;
  readonly type: RecordType;
  /** Set by the first record; later records of the RRset take it (one TTL per RRset). */
  readonly ttl: number;
  /** By a text key of the data, so an identical record is kept once (RFC 2181 §5). */
  readonly data: Map<string, ResourceRecord['data']>;
  /** Where the plan asks for each record, by the same key. */
  readonly sources: Map<string, SourceLocation>;
}

/**
 * Where the plan asks for the records of each derived zone: the zone's own node, and the node
 * behind each record (an MX entry, a host's addresses, the `dmarc` key). Kept beside the zone,
 * not in the records, so the records stay exactly what is served and written.
 */
interface ZoneSources {
  readonly zone: SourceLocation;
  readonly rrsets: ReadonlyMap<string, RRset>;
}

const SOURCES = new WeakMap<Zone, ZoneSources>();

/**
 * The plan node a record of a derived zone comes from, for findings about it: the record's own
 * node; for data the plan does not have, the node of its RRset (an extra MX points at the
 * domain's MX entries), else the zone's (an extra owner name). Undefined for a zone that
 * `deriveZones` did not return (a copy made with a new serial, say).
 */
export function recordSource(
  zone: Zone,
  record: { readonly name: string; readonly type: string; readonly data?: ResourceRecord['data'] },
): SourceLocation | undefined {
  const sources = SOURCES.get(zone);
  if (!sources) return undefined;
  const rrset = sources.rrsets.get(rrsetKey(record.name, record.type));
  if (!rrset) return sources.zone;
  const own = record.data === undefined ? undefined : rrset.sources.get(dataKeyOf(record.data));
  return own ?? rrset.sources.values().next().value ?? sources.zone;
}

function rrsetKey(name: string, type: string): string {
  return `${name} ${type}`;
}

function dataKeyOf(data: ResourceRecord['data']): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** One zone being assembled: RRsets by owner and type. */
class ZoneDraft {
  private readonly rrsets = new Map<string, RRset>();

  constructor(
    readonly origin: string,
    readonly kind: Zone['kind'],
    readonly at: SourceLocation,
    readonly ttl: number,
    readonly display: string | undefined,
  ) {}

  add<T extends RecordType>(name: string, type: T, data: DataOf<T>, at: SourceLocation, ttl: number = this.ttl): void {
    const key = rrsetKey(name, type);
    let rrset = this.rrsets.get(key);
    if (!rrset) {
      rrset = { name, type, ttl, data: new Map(), sources: new Map() };
      this.rrsets.set(key, rrset);
    }
    const dataKey = dataKeyOf(data);
    rrset.data.set(dataKey, data);
    if (!rrset.sources.has(dataKey)) rrset.sources.set(dataKey, at);
  }

  build(): Zone {
    const records: ResourceRecord[] = [];
    for (const { name, type, ttl, data } of this.rrsets.values()) {
      // Frozen: zones are shared by the writer and the responder, and dns-packet's TXT encoder
      // would otherwise turn the strings of a record it is handed into Buffers in place.
      for (const value of data.values())
        records.push(Object.freeze({ name, type, ttl, data: Object.freeze(value) }) as ResourceRecord);
    }
    const zone: Zone = {
      origin: this.origin,
      kind: this.kind,
      ...(this.display !== undefined && this.display !== this.origin ? { display: this.display } : {}),
      records: sortRecords(records),
    };
    SOURCES.set(zone, { zone: this.at, rrsets: this.rrsets });
    return zone;
  }
}

/** The managed zones by origin, and the closest enclosing one of any name. */
class ZoneSet {
  private readonly zones = new Map<string, ZoneDraft>();

  /** Opens a zone unless one of that name exists (the first kind wins: domain, then the others). */
  open(origin: string, kind: Zone['kind'], at: SourceLocation, ttl: number, display?: string): void {
    if (!this.zones.has(origin)) this.zones.set(origin, new ZoneDraft(origin, kind, at, ttl, display));
  }

  get(origin: string): ZoneDraft | undefined {
    return this.zones.get(origin);
  }

  all(): IterableIterator<ZoneDraft> {
    return this.zones.values();
  }

  /** The zone whose apex is the name or its nearest ancestor; one map lookup per label. */
  enclosing(name: string): ZoneDraft | undefined {
    for (let candidate = name; ;) {
      const zone = this.zones.get(candidate);
      if (zone) return zone;
      const dot = candidate.indexOf('.');
      if (dot < 0) return undefined;
      candidate = candidate.slice(dot + 1);
    }
  }

  /** The zones in canonical order of their apex (see order.ts). */
  build(): Zone[] {
    const keyed = [...this.zones.values()].map((zone) => ({ zone, key: canonicalKey(zone.origin) }));
    keyed.sort((a, b) => compareStrings(a.key, b.key));
    return keyed.map(({ zone }) => zone.build());
  }
}
