/**
 * The record model: the one source of DNS data. The zone writer prints these records, the
 * responder serves them, and `mxplan records` lists them.
 *
 * Shapes follow dns-packet's answers, so a record is encodable as it stands:
 * names are lowercase, without the trailing dot; TXT data is the list of character-strings
 * (each at most 255 octets) of one record.
 *
 * Derived records are frozen. Hand dns-packet a copy of TXT data (`[...record.data]`): its TXT
 * encoder replaces the strings of the array it is given with Buffers.
 */
export interface SoaData {
  readonly mname: string;
  /** The contact mailbox as a domain name (hostmaster.infra.example). */
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export interface MxData {
  readonly preference: number;
  /** "" for the RFC 7505 null MX (the root name). */
  readonly exchange: string;
}

export type ResourceRecord =
  | { readonly name: string; readonly type: 'SOA'; readonly ttl: number; readonly data: SoaData }
  | { readonly name: string; readonly type: 'NS' | 'PTR' | 'CNAME'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'A' | 'AAAA'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'MX'; readonly ttl: number; readonly data: MxData }
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly data: readonly string[] };

export type RecordType = ResourceRecord['type'];

/**
 * A record of a type the plan never derives (CAA, SRV, RRSIG...), as a server serves it or a
 * zone file holds it: RDATA as text (RFC 3597 §5's `\# <length> <hex>` from the wire).
 */
export interface OtherRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: string;
}

/** A record read from outside: a server's answer or a zone file. */
export type ServedRecord = ResourceRecord | OtherRecord;

const MODEL_TYPES = new Set<string>(['SOA', 'NS', 'MX', 'A', 'AAAA', 'TXT', 'PTR', 'CNAME']);

export function isModelRecord(record: ServedRecord): record is ResourceRecord {
  return MODEL_TYPES.has(record.type);
}

export interface Zone {
  /** The apex, canonical. */
  readonly origin: string;
  /**
   * Why the zone exists: a mail domain, an infrastructure zone, or a reverse zone of the plan; or
   * `outside`: a domain that is not the plan's, which a sandbox serves beside it (verify's
   * receiver) and nothing ever writes to a zone file.
   */
  readonly kind: 'domain' | 'infrastructure' | 'reverse' | 'outside';
  /** The name as the topology wrote it, when that differs from the origin (an IDN's U-labels). */
  readonly display?: string;
  /** In the zone-file order (see order.ts): SOA, NS, then owners in canonical order. */
  readonly records: readonly ResourceRecord[];
}
