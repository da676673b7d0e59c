/**
 * Answers encoded once. An authoritative answer depends on the query only through its ID,
 * the letter case of the question, RD/CD and EDNS; everything else is fixed by the zone data.
 * So for every served name and every type it may be asked, the sections after the question
 * (the "tail") are encoded at start-up, compressed against a question of that name's length,
 * and a reply is the client's own header and question (patched) followed by the shared tail.
 *
 * Lookup hashes the question name as it arrives (case folded, see query.ts) and compares
 * octets, so no string is built per query.
 */
import type { ServedZone, Resolution, ZoneIndex, NameNode } from './zone-index.js';
import type { Query } from './query.js';
import { HEADER_LENGTH, RCODE, TYPE, WireWriter, hashWireName, nameToWire, sameNameIgnoringCase } from './wire.js';

/** The sections after the question, ready to send, and how to shorten them. */
export class PreparedAnswer {
  constructor(
    readonly rcode: number,
    readonly authoritative: boolean,
    readonly tail: Buffer,
    readonly answerCount: number,
    readonly authorityCount: number,
    /**
     * Where the tail may be cut: fits[2k] is a length, fits[2k+1] the additional records it
     * keeps. fits[0] ends the authority section; each later pair adds one whole RRset.
     */
    readonly fits: Uint16Array,
  ) {}

  get additionalCount(): number {
    return this.fits[this.fits.length - 1]!;
  }

  static empty(rcode: number, authoritative = false): PreparedAnswer {
    return new PreparedAnswer(rcode, authoritative, Buffer.alloc(0), 0, 0, Uint16Array.of(0, 0));
  }
}

/**
 * Encodes a resolution as the tail that follows a question for `qname` (a canonical name, or
 * the question name's wire octets as the client sent them). With a question the tail
 * compresses against it, so it fits only after a name of that length; without one, nothing is
 * compressed and the tail fits after any question.
 */
export function prepare(resolution: Resolution, qname?: string | Uint8Array): PreparedAnswer {
  const w = new WireWriter(512, qname !== undefined);
  let start = 0;
  if (qname !== undefined) {
    w.skip(HEADER_LENGTH);
    if (typeof qname === 'string') w.name(qname);
    else w.rawName(qname);
    w.skip(4);
    start = w.pos;
  }
  for (const rr of resolution.answer) w.record(rr);
  for (const rr of resolution.authority) w.record(rr);
  const fits = [w.pos - start, 0];
  let additional = 0;
  for (const rrset of resolution.additional) {
    for (const rr of rrset) w.record(rr);
    additional += rrset.length;
    fits.push(w.pos - start, additional);
  }
  const tail = w.take(start);
  if (tail.length > 0xffff)
    throw new Error(`dns/cache: an answer of ${tail.length} octets (${resolution.kind} in ${resolution.zone?.origin})`);
  return new PreparedAnswer(
    resolution.rcode,
    resolution.authoritative,
    tail,
    resolution.answer.length,
    resolution.authority.length,
    Uint16Array.from(fits),
  );
}

/** A served name with its pre-encoded answers. */
export class NameEntry {
  /** Another entry whose name has the same hash. */
  next: NameEntry | undefined = undefined;
  /** The answer for types without their own entry; undefined: resolve per query (CNAME owners). */
  other: PreparedAnswer | undefined = undefined;
  readonly byType = new Map<number, PreparedAnswer>();

  constructor(
    readonly node: NameNode,
    readonly wire: Buffer,
  ) {}
}

/** Types asked often enough to encode at start-up for a CNAME owner, beside the ones a name holds. */
const COMMON_TYPES = [TYPE.A, TYPE.AAAA, TYPE.MX, TYPE.TXT, TYPE.NS, TYPE.SOA, TYPE.PTR, TYPE.CNAME];

export class AnswerCache {
  private readonly table = new Map<number, NameEntry>();
  /** NXDOMAIN per zone, uncompressed so it follows any question (RFC 2308 §3). */
  private readonly nxdomain = new Map<ServedZone, PreparedAnswer>();
  /** Names outside every served zone (RFC 1034 §4.3.1: an authoritative-only server). */
  readonly refused = PreparedAnswer.empty(RCODE.REFUSED);

  constructor(readonly index: ZoneIndex) {
    for (const zone of index.zones) {
      this.nxdomain.set(
        zone,
        prepare({
          kind: 'nxdomain',
          rcode: RCODE.NXDOMAIN,
          authoritative: true,
          answer: [],
          authority: [zone.negativeSoa],
          additional: [],
          zone,
        }),
      );
    }
    for (const node of index.allNodes()) this.addEntry(node);
  }

  private addEntry(node: NameNode): void {
    const entry = new NameEntry(node, nameToWire(node.name));
    const types = new Set<number>([...node.rrsets.keys(), TYPE.ANY]);
    const hasCname = node.rrsets.has(TYPE.CNAME);
    if (hasCname) for (const type of COMMON_TYPES) types.add(type);
    for (const type of types) entry.byType.set(type, prepare(this.index.resolve(node.name, type), node.name));
    if (!hasCname || node.cut) {
      // Any other type: NODATA, or the referral at or above a cut; neither depends on the type.
      // TYPE0 is reserved (RFC 6895 §3.1), so no name holds it.
      entry.other = prepare(this.index.resolve(node.name, 0), node.name);
    }
    const hash = hashWireName(entry.wire);
    entry.next = this.table.get(hash);
    this.table.set(hash, entry);
  }

  /** The entry for the question name, if the name exists (including empty non-terminals). */
  exact(q: Query): NameEntry | undefined {
    for (let e = this.table.get(q.suffixHashes[0]!); e; e = e.next) {
      if (e.wire.length === q.qnameEnd - HEADER_LENGTH && sameNameIgnoringCase(q.msg, HEADER_LENGTH, e.wire)) return e;
    }
    return undefined;
  }

  /** The deepest existing ancestor of a name that does not exist (RFC 4592 §3.3.1). */
  closestEncloser(q: Query): NameEntry | undefined {
    for (let label = 1; label <= q.labelCount; label++) {
      const start = q.labelStarts[label]!;
      for (let e = this.table.get(q.suffixHashes[label]!); e; e = e.next) {
        if (e.wire.length === q.qnameEnd - start && sameNameIgnoringCase(q.msg, start, e.wire)) return e;
      }
    }
    return undefined;
  }

  /**
   * The prepared answer for a question, or undefined when only a per-query resolution can
   * answer it (a wildcard, a CNAME asked for an uncommon type, a name under a delegation).
   */
  answerFor(entry: NameEntry | undefined, encloser: NameEntry | undefined, qtype: number): PreparedAnswer | undefined {
    if (entry) return entry.byType.get(qtype) ?? entry.other;
    if (!encloser) return this.refused;
    const node = encloser.node;
    if (node.cut || node.zone.hasWildcard) return undefined;
    return this.nxdomain.get(node.zone);
  }
}
