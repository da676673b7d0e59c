/**
 * The authority: what a served name holds and what an authoritative server answers for
 * (name, type), as records. It works on lowercase names and builds no wire data; the answer
 * cache encodes its resolutions once, and the slow path calls it per query.
 *
 * Semantics, in the order `resolve` applies them:
 *  1. no served zone encloses the name: REFUSED (an authoritative-only server, RFC 1034 §4.3.1);
 *  2. the name is at or below a delegation (NS below the apex): a referral, AA clear (RFC 1034 §4.3.2 step 3b);
 *  3. the name exists: its RRset, or a CNAME followed within our zones (RFC 1034 §4.3.2 step 3a),
 *     or NODATA; ANY gets one RRset (RFC 8482 §4.1);
 *  4. a wildcard at the closest encloser synthesises the answer (RFC 4592 §3.3.1);
 *  5. otherwise NXDOMAIN.
 * Negative answers carry the zone's SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 §3, §5).
 * MX and NS answers carry the A/AAAA of targets we serve in the additional section (RFC 1035 §3.3.9, §3.3.11).
 */
import { isInZone } from '../../topology/names.js';
import type { ResourceRecord, Zone } from '../records.js';
import { RCODE, TYPE, typeCode } from './wire.js';

export interface ServedZone {
  readonly origin: string;
  readonly zone: Zone;
  readonly soa: ResourceRecord & { type: 'SOA' };
  /** The SOA as negative answers carry it (RFC 2308 §3). */
  readonly negativeSoa: ResourceRecord;
  /** Whether any owner is a wildcard: misses then need the slow path. */
  readonly hasWildcard: boolean;
}

export interface NameNode {
  readonly name: string;
  readonly zone: ServedZone;
  /** RRsets by type code, in zone-file order. Empty for an empty non-terminal (RFC 8020). */
  readonly rrsets: Map<number, ResourceRecord[]>;
  /** The delegation point at or above this name, when the name is not authoritative data. */
  cut: NameNode | undefined;
}

export type ResolutionKind = 'answer' | 'nodata' | 'nxdomain' | 'referral' | 'refused';

export interface Resolution {
  readonly kind: ResolutionKind;
  readonly rcode: number;
  readonly authoritative: boolean;
  readonly answer: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  /** Grouped by RRset, so a reply that must shed additional data drops whole RRsets (RFC 2181 §5). */
  readonly additional: readonly (readonly ResourceRecord[])[];
  /** The zone that answered, when one did. */
  readonly zone?: ServedZone;
}

/** RFC 1034 §4.3.2 gives no limit; BIND and Unbound stop following CNAMEs after a handful. */
const MAX_CNAME_HOPS = 8;

const REFUSED: Resolution = {
  kind: 'refused',
  rcode: RCODE.REFUSED,
  authoritative: false,
  answer: [],
  authority: [],
  additional: [],
};

export class ZoneIndex {
  readonly zones: readonly ServedZone[];
  private readonly byOrigin = new Map<string, ServedZone>();
  private readonly nodes = new Map<string, NameNode>();

  constructor(zones: readonly Zone[]) {
    const served: ServedZone[] = [];
    for (const zone of zones) {
      if (this.byOrigin.has(zone.origin)) throw new Error(`dns/authority: zone ${zone.origin} is given twice`);
      const soa = zone.records.find(
        (rr): rr is ResourceRecord & { type: 'SOA' } => rr.type === 'SOA' && rr.name === zone.origin,
      );
      if (!soa) throw new Error(`dns/authority: zone ${zone.origin} has no SOA at its apex`);
      const entry: ServedZone = {
        origin: zone.origin,
        zone,
        soa,
        negativeSoa: { ...soa, ttl: Math.min(soa.ttl, soa.data.minimum) },
        hasWildcard: zone.records.some((rr) => rr.name === '*' || rr.name.startsWith('*.')),
      };
      served.push(entry);
      this.byOrigin.set(zone.origin, entry);
    }
    this.zones = served;
    for (const zone of served) this.addZone(zone);
    this.markCuts();
  }

  /** The served zone closest to `name` (a child zone we also serve wins over its parent). */
  findZone(name: string): ServedZone | undefined {
    for (let suffix: string | undefined = name; suffix !== undefined; suffix = parentName(suffix)) {
      const zone = this.byOrigin.get(suffix);
      if (zone) return zone;
    }
    return undefined;
  }

  zoneAt(origin: string): ServedZone | undefined {
    return this.byOrigin.get(origin);
  }

  node(name: string): NameNode | undefined {
    return this.nodes.get(name);
  }

  allNodes(): IterableIterator<NameNode> {
    return this.nodes.values();
  }

  private addZone(zone: ServedZone): void {
    for (const rr of zone.zone.records) {
      if (!isInZone(rr.name, zone.origin) && zone.origin !== '') {
        throw new Error(`dns/authority: record ${rr.name} ${rr.type} lies outside zone ${zone.origin}`);
      }
      // A child zone we also serve is authoritative for its names; the parent's copies
      // (delegation NS, glue) stay in the parent's zone data for transfers only.
      if (this.findZone(rr.name) !== zone) continue;
      const node = this.ensureNode(rr.name, zone);
      const type = typeCode(rr.type);
      const rrset = node.rrsets.get(type);
      if (rrset) rrset.push(rr);
      else node.rrsets.set(type, [rr]);
    }
  }

  /** Creates the node and the empty non-terminals between it and the apex (RFC 8020). */
  private ensureNode(name: string, zone: ServedZone): NameNode {
    let node = this.nodes.get(name);
    if (node) return node;
    node = { name, zone, rrsets: new Map(), cut: undefined };
    this.nodes.set(name, node);
    const parent = parentName(name);
    if (name !== zone.origin && parent !== undefined) this.ensureNode(parent, zone);
    return node;
  }

  private markCuts(): void {
    for (const node of this.nodes.values()) {
      for (
        let name: string | undefined = node.name;
        name !== undefined && name !== node.zone.origin;
        name = parentName(name)
      ) {
        const above = this.nodes.get(name);
        // The highest cut wins: everything below a delegation belongs to the child.
        if (above?.rrsets.has(TYPE.NS)) node.cut = above;
      }
    }
  }

  /** What an authoritative server answers for (name, type); `name` is lowercase. */
  resolve(name: string, qtype: number): Resolution {
    return this.resolveFrom(name, qtype, new Set());
  }

  private resolveFrom(name: string, qtype: number, seen: Set<string>): Resolution {
    const zone = this.findZone(name);
    if (!zone) return REFUSED;
    const node = this.nodes.get(name);
    if (node) return node.cut ? this.referral(node.cut) : this.fromNode(node, name, qtype, seen);
    const encloser = this.closestEncloser(name, zone);
    if (encloser.cut) return this.referral(encloser.cut);
    const wildcard = this.nodes.get(encloser.name === '' ? '*' : `*.${encloser.name}`);
    if (wildcard) return this.fromNode(wildcard, name, qtype, seen);
    return this.negative('nxdomain', zone);
  }

  private closestEncloser(name: string, zone: ServedZone): NameNode {
    for (let suffix = parentName(name); suffix !== undefined; suffix = parentName(suffix)) {
      const node = this.nodes.get(suffix);
      if (node) return node;
    }
    // Unreachable: the apex is a node of every served zone.
    return this.nodes.get(zone.origin)!;
  }

  /** Answers from an existing node; `owner` differs from node.name for a wildcard (RFC 4592 §3.3.1). */
  private fromNode(node: NameNode, owner: string, qtype: number, seen: Set<string>): Resolution {
    const rename = (rrs: readonly ResourceRecord[]): ResourceRecord[] =>
      owner === node.name ? [...rrs] : rrs.map((rr) => ({ ...rr, name: owner }));
    if (qtype === TYPE.ANY) {
      // RFC 8482 §4.1: one RRset is enough; the first in zone-file order keeps it deterministic.
      const first = node.rrsets.values().next();
      if (first.done) return this.negative('nodata', node.zone);
      return this.positive(node.zone, rename(first.value), []);
    }
    const rrset = node.rrsets.get(qtype);
    if (rrset) return this.positive(node.zone, rename(rrset), this.additionalFor(rrset));
    const cname = node.rrsets.get(TYPE.CNAME);
    if (cname && cname[0]?.type === 'CNAME')
      return this.followCname(node.zone, rename(cname), cname[0].data, qtype, seen.add(owner));
    return this.negative('nodata', node.zone);
  }

  /** RFC 1034 §4.3.2 step 3a: restart at the CNAME target while it is ours; RFC 6604 §3: the final RCODE is the target's. */
  private followCname(
    zone: ServedZone,
    cname: ResourceRecord[],
    target: string,
    qtype: number,
    seen: Set<string>,
  ): Resolution {
    if (seen.has(target) || seen.size > MAX_CNAME_HOPS) return this.positive(zone, cname, []);
    const next = this.resolveFrom(target, qtype, seen);
    if (next.kind === 'refused' || next.kind === 'referral') return this.positive(zone, cname, []);
    return { ...next, authoritative: true, answer: [...cname, ...next.answer], zone };
  }

  private positive(zone: ServedZone, answer: ResourceRecord[], additional: ResourceRecord[][]): Resolution {
    return { kind: 'answer', rcode: RCODE.NOERROR, authoritative: true, answer, authority: [], additional, zone };
  }

  private negative(kind: 'nodata' | 'nxdomain', zone: ServedZone): Resolution {
    return {
      kind,
      rcode: kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR,
      authoritative: true,
      answer: [],
      authority: [zone.negativeSoa],
      additional: [],
      zone,
    };
  }

  /** RFC 1034 §4.3.2 step 3b: the NS RRset of the cut, with the addresses we hold for it. */
  private referral(cut: NameNode): Resolution {
    const ns = cut.rrsets.get(TYPE.NS) ?? [];
    return {
      kind: 'referral',
      rcode: RCODE.NOERROR,
      authoritative: false,
      answer: [],
      authority: [...ns],
      additional: this.additionalFor(ns),
      zone: cut.zone,
    };
  }

  /** A and AAAA RRsets for MX exchanges and NS targets that we serve, deduplicated, in order. */
  private additionalFor(rrset: readonly ResourceRecord[]): ResourceRecord[][] {
    const out: ResourceRecord[][] = [];
    const seen = new Set<string>();
    for (const rr of rrset) {
      const target = rr.type === 'MX' ? rr.data.exchange : rr.type === 'NS' ? rr.data : undefined;
      // RFC 7505: the null MX ("." exchange) has no address to add.
      if (target === undefined || target === '' || seen.has(target)) continue;
      seen.add(target);
      const node = this.nodes.get(target);
      if (!node) continue;
      for (const type of [TYPE.A, TYPE.AAAA]) {
        const addresses = node.rrsets.get(type);
        if (addresses) out.push([...addresses]);
      }
    }
    return out;
  }
}

/** "a.b.c" -> "b.c", "c" -> "" (the root), "" -> undefined. */
export function parentName(name: string): string | undefined {
  if (name === '') return undefined;
  const dot = name.indexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}
