/**
 * Reads a query from raw bytes: the header, exactly one question, and the records after it
 * (only an OPT record means anything to us). Every read is bounds-checked, and compression
 * pointers are never followed, so truncated packets, pointer loops and huge counts end in
 * FORMERR (or a drop) after at most one pass over the bytes.
 *
 * One `Query` object is reused for every packet: parsing allocates nothing.
 */
import {
  CLASSIC_UDP_LIMIT,
  FLAG2,
  FNV_OFFSET,
  FNV_PRIME,
  HEADER_LENGTH,
  MAX_NAME_OCTETS,
  TYPE,
  wireToDisplay,
} from './wire.js';

/** What the parser concluded; `OK` means a well-formed standard query. */
export const Verdict = {
  OK: 0,
  /** Not even a header, or a response: never answer (RFC 1035 §7.3 ignores; answering responses invites loops). */
  DROP: 1,
  FORMERR: 2,
  /** An opcode other than QUERY (RFC 1035 §4.1.1). */
  NOTIMP: 3,
  /** An EDNS version we do not speak (RFC 6891 §6.1.3). */
  BADVERS: 4,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** RFC 1035 §2.3.4: 255 octets allow at most 127 labels plus the root. */
const MAX_LABELS = 128;

export class Query {
  msg: Buffer = Buffer.alloc(0);
  opcode = 0;
  /** Offset just past the question's QCLASS, or 0 when no question could be read. */
  questionEnd = 0;
  /** Offset just past the question name's root label. */
  qnameEnd = 0;
  qtype = 0;
  qclass = 0;
  /** Labels of the question name; labelStarts[labelCount] is the root label. */
  labelCount = 0;
  readonly labelStarts = new Uint16Array(MAX_LABELS + 1);
  /** suffixHashes[i]: hashWireName of the name from labelStarts[i] (case folded). */
  readonly suffixHashes = new Uint32Array(MAX_LABELS + 1);
  edns = false;
  ednsVersion = 0;
  /** The requester's UDP payload size; values below 512 count as 512 (RFC 6891 §6.2.5). */
  udpPayload = CLASSIC_UDP_LIMIT;
  /** RFC 3225 §3: the DO bit, copied into the response. */
  dnssecOk = false;
  /** RFC 1995 §3: the serial of the SOA in an IXFR query's authority section, or -1. */
  ixfrSerial = -1;

  /** The question name in lowercase dotted form, for the slow path and logs. */
  lowerName(): string {
    return this.displayName().toLowerCase();
  }

  /** The question name as the client wrote it (case kept, RFC 1035 §5.1 escapes). */
  displayName(): string {
    return this.questionEnd === 0 ? '' : wireToDisplay(this.msg, HEADER_LENGTH, this.qnameEnd);
  }
}

/** Parses `msg` into `q` (which keeps a reference to msg). */
export function parseQuery(msg: Buffer, q: Query): Verdict {
  q.msg = msg;
  q.questionEnd = 0;
  q.edns = false;
  q.ednsVersion = 0;
  q.udpPayload = CLASSIC_UDP_LIMIT;
  q.dnssecOk = false;
  q.ixfrSerial = -1;
  const length = msg.length;
  if (length < HEADER_LENGTH) return Verdict.DROP;
  const flags = msg[2]!;
  if (flags & FLAG2.QR) return Verdict.DROP;
  q.opcode = (flags & FLAG2.OPCODE_MASK) >> 3;
  if (q.opcode !== 0) return Verdict.NOTIMP;
  // RFC 9619: a query carries exactly one question.
  if (msg[4] !== 0 || msg[5] !== 1) return Verdict.FORMERR;

  let pos = HEADER_LENGTH;
  let labels = 0;
  for (;;) {
    if (pos >= length) return Verdict.FORMERR;
    const len = msg[pos]!;
    if (len === 0) break;
    // Pointers (0xC0) have nothing earlier to point at; 0x40/0x80 are obsolete label types (RFC 6891 §5).
    if (len & 0xc0) return Verdict.FORMERR;
    q.labelStarts[labels++] = pos;
    pos += len + 1;
    if (pos - HEADER_LENGTH >= MAX_NAME_OCTETS) return Verdict.FORMERR;
  }
  q.labelStarts[labels] = pos;
  q.labelCount = labels;
  q.qnameEnd = ++pos;
  if (pos + 4 > length) return Verdict.FORMERR;
  q.qtype = (msg[pos]! << 8) | msg[pos + 1]!;
  q.qclass = (msg[pos + 2]! << 8) | msg[pos + 3]!;
  pos += 4;
  q.questionEnd = pos;
  hashSuffixes(q);

  // Answer and authority records are skipped but for the SOA of an IXFR query (RFC 1995 §3);
  // the additional section may hold one OPT record (RFC 6891 §6.1.1).
  const answers = (msg[6]! << 8) | msg[7]!;
  const authorities = (msg[8]! << 8) | msg[9]!;
  const additionals = (msg[10]! << 8) | msg[11]!;
  const records = answers + authorities + additionals;
  for (let i = 0; i < records; i++) {
    const owner = pos;
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > length) return Verdict.FORMERR;
    const type = (msg[pos]! << 8) | msg[pos + 1]!;
    const rdlength = (msg[pos + 8]! << 8) | msg[pos + 9]!;
    const rdata = pos + 10;
    pos = rdata + rdlength;
    if (pos > length) return Verdict.FORMERR;
    if (type === TYPE.SOA && q.qtype === TYPE.IXFR && i >= answers && i < answers + authorities) {
      if (!readSoaSerial(msg, rdata, pos, q)) return Verdict.FORMERR;
      continue;
    }
    if (type !== TYPE.OPT) continue;
    // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
    if (q.edns || i < answers + authorities || msg[owner] !== 0 || rdata - owner !== 11) return Verdict.FORMERR;
    if (!optionsWellFormed(msg, rdata, pos)) return Verdict.FORMERR;
    q.edns = true;
    const payload = (msg[owner + 3]! << 8) | msg[owner + 4]!;
    q.udpPayload = payload < CLASSIC_UDP_LIMIT ? CLASSIC_UDP_LIMIT : payload;
    q.ednsVersion = msg[owner + 6]!;
    q.dnssecOk = (msg[owner + 7]! & 0x80) !== 0;
  }
  if (pos !== length) return Verdict.FORMERR;
  if (q.edns && q.ednsVersion !== 0) return Verdict.BADVERS;
  return Verdict.OK;
}

/** Walks the question name backwards once, recording the case-folded hash of every suffix. */
function hashSuffixes(q: Query): void {
  const msg = q.msg;
  let h = FNV_OFFSET;
  let label = q.labelCount;
  for (let i = q.qnameEnd - 1; i >= HEADER_LENGTH; i--) {
    let b = msg[i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    h = Math.imul(h ^ b, FNV_PRIME);
    if (i === q.labelStarts[label]) q.suffixHashes[label--] = h >>> 0;
  }
}

/** Reads the serial of the SOA RDATA at [start, end) into q.ixfrSerial; false when it is malformed. */
function readSoaSerial(msg: Buffer, start: number, end: number, q: Query): boolean {
  const rname = skipName(msg, start);
  const serial = rname < 0 || rname > end ? -1 : skipName(msg, rname);
  // MNAME, RNAME, then five 32-bit fields (RFC 1035 §3.3.13).
  if (serial < 0 || serial + 20 !== end) return false;
  q.ixfrSerial = msg.readUInt32BE(serial);
  return true;
}

/** Offset after a (possibly compressed) name, or -1. The pointer target is not followed. */
function skipName(msg: Buffer, pos: number): number {
  const start = pos;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if (len & 0xc0) return -1;
    pos += len + 1;
    if (pos - start > MAX_NAME_OCTETS) return -1;
  }
}

/** RFC 6891 §6.1.2: options are {code, length, data} and must tile the RDATA exactly. */
function optionsWellFormed(msg: Buffer, pos: number, end: number): boolean {
  while (pos < end) {
    if (pos + 4 > end) return false;
    pos += 4 + ((msg[pos + 2]! << 8) | msg[pos + 3]!);
  }
  return pos === end;
}
