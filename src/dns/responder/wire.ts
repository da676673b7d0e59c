/**
 * Wire-format constants and a compressing writer (RFC 1035 §4.1).
 *
 * The writer encodes the record model (src/dns/records.ts) with name compression (RFC 1035
 * §4.1.4) so answers are as small as NSD's or BIND's and fit the 512-byte limit more often.
 * Types outside the model fall back to dns-packet's encoder, uncompressed.
 */
import * as dnsPacket from 'dns-packet';
import type { ResourceRecord } from '../records.js';

export const HEADER_LENGTH = 12;
/** RFC 1035 §2.3.4 */
export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;
/** RFC 1035 §4.2.1: without EDNS a UDP message carries at most 512 octets. */
export const CLASSIC_UDP_LIMIT = 512;
/** RFC 1035 §4.2.2: the two-octet length prefix on TCP. */
export const TCP_LIMIT = 65535;

export const CLASS_IN = 1;

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  /** RFC 6891 §6.1.3: an extended RCODE, carried partly in the OPT record. */
  BADVERS: 16,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, code]) => [code, name]));
const TYPE_CODES = new Map<string, number>(Object.entries(TYPE));

export function rcodeName(code: number): string {
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

/** RFC 3597 §5 spelling for types without a mnemonic here. */
export function typeName(code: number): string {
  return TYPE_NAMES.get(code) ?? `TYPE${code}`;
}

export function typeCode(name: string): number {
  const code = TYPE_CODES.get(name) ?? dnsPacketTypeCode(name);
  if (code === undefined) throw new Error(`dns/wire: unknown record type ${name}`);
  return code;
}

function dnsPacketTypeCode(name: string): number | undefined {
  // dns-packet knows every IANA mnemonic; ask it via a one-question encode.
  try {
    const buf = dnsPacket.encode({ questions: [{ name: '', type: name as dnsPacket.RecordType }] });
    return buf.readUInt16BE(HEADER_LENGTH + 1);
  } catch {
    return undefined;
  }
}

/** Header flag bits, byte 2 and byte 3 of the message (RFC 1035 §4.1.1). */
export const FLAG2 = { QR: 0x80, OPCODE_MASK: 0x78, AA: 0x04, TC: 0x02, RD: 0x01 } as const;
export const FLAG3 = { RA: 0x80, Z: 0x40, AD: 0x20, CD: 0x10, RCODE_MASK: 0x0f } as const;

/** Lowercase dotted name (no trailing dot, "" for the root) to uncompressed wire form. */
export function nameToWire(name: string): Buffer {
  const writer = new WireWriter(MAX_NAME_OCTETS + 1, false);
  writer.name(name);
  return writer.take();
}

/**
 * FNV-1a over the octets of a wire name, last octet first, folding ASCII upper case.
 * Hashing from the end lets one pass yield the hash of every suffix (see query.ts), so the
 * closest enclosing zone is found without building strings. Label-length octets are at most
 * 63, below 'A', so folding never touches them.
 */
export function hashWireName(wire: Uint8Array, start = 0, end = wire.length): number {
  let h = FNV_OFFSET;
  for (let i = end - 1; i >= start; i--) {
    let b = wire[i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    h = Math.imul(h ^ b, FNV_PRIME);
  }
  return h >>> 0;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Whether `msg[start..]` holds `lowerWire` ignoring ASCII case (RFC 4343). */
export function sameNameIgnoringCase(msg: Uint8Array, start: number, lowerWire: Uint8Array): boolean {
  const n = lowerWire.length;
  if (start + n > msg.length) return false;
  for (let i = 0; i < n; i++) {
    let b = msg[start + i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== lowerWire[i]) return false;
  }
  return true;
}

/**
 * Presentation form of a wire name as the client sent it (case kept), for logs. Octets outside
 * printable ASCII, and "." or "\" inside a label, are escaped as RFC 1035 §5.1 \DDD, so the
 * text has a dot exactly between labels.
 */
export function wireToDisplay(msg: Uint8Array, start: number, end: number): string {
  let out = '';
  let pos = start;
  while (pos < end) {
    const len = msg[pos]!;
    if (len === 0) break;
    if (out.length > 0) out += '.';
    out += labelText(msg, pos + 1, Math.min(pos + 1 + len, end));
    pos += len + 1;
  }
  return out;
}

/** One label in presentation form (see wireToDisplay). */
export function labelText(msg: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = msg[i]!;
    if (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A growing output buffer with RFC 1035 §4.1.4 compression. Offsets are absolute within the
 * message being built, so a caller that writes the header and question first can reuse the
 * rest (the "tail") after any question of the same length.
 */
export class WireWriter {
  private buf: Buffer;
  pos = 0;
  private readonly offsets = new Map<string, number>();

  constructor(
    initialSize = 512,
    private readonly compress = true,
  ) {
    this.buf = Buffer.alloc(initialSize);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(value, this.pos);
    this.pos += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(value >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Reserves `n` zero octets, for a header written later. */
  skip(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** Writes a lowercase dotted name, pointing at an earlier copy of its longest known suffix. */
  name(name: string, compress = this.compress): void {
    const labels = name === '' ? [] : name.split('.');
    let octets = 1;
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? name : labels.slice(i).join('.');
      if (compress) {
        const earlier = this.offsets.get(suffix);
        if (earlier !== undefined) {
          this.u16(0xc000 | earlier);
          return;
        }
      }
      const label = Buffer.from(labels[i]!, 'latin1');
      if (label.length === 0 || label.length > MAX_LABEL_OCTETS) {
        throw new Error(`dns/wire: name "${name}" has a label of ${label.length} octets`);
      }
      octets += label.length + 1;
      if (octets > MAX_NAME_OCTETS) throw new Error(`dns/wire: name "${name}" is longer than 255 octets`);
      // A pointer has 14 bits of offset.
      if (this.pos < 0x4000 && !this.offsets.has(suffix)) this.offsets.set(suffix, this.pos);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  /**
   * Copies an uncompressed wire name exactly as a client wrote it (its letter case kept), and
   * remembers each suffix as a compression target under its lowercase presentation form (the
   * form Query.lowerName gives), so a record owned by that name points back at it.
   */
  rawName(raw: Uint8Array): void {
    const starts: number[] = [];
    const labels: string[] = [];
    for (let pos = 0; pos < raw.length && raw[pos]! !== 0; pos += raw[pos]! + 1) {
      starts.push(pos);
      labels.push(labelText(raw, pos + 1, pos + 1 + raw[pos]!).toLowerCase());
    }
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.');
      const at = this.pos + starts[i]!;
      if (at < 0x4000 && !this.offsets.has(suffix)) this.offsets.set(suffix, at);
    }
    this.bytes(raw);
  }

  /** One resource record (RFC 1035 §4.1.3), compressing names where RFC 3597 §4 allows it. */
  record(rr: ResourceRecord, ttl = rr.ttl): void {
    this.name(rr.name);
    const type = typeCode(rr.type);
    this.u16(type);
    this.u16(CLASS_IN);
    this.u32(ttl);
    const lengthAt = this.pos;
    this.u16(0);
    switch (rr.type) {
      case 'A':
        this.bytes(ipv4Octets(rr.data));
        break;
      case 'AAAA':
        this.bytes(ipv6Octets(rr.data));
        break;
      case 'NS':
      case 'CNAME':
      case 'PTR':
        this.name(rr.data);
        break;
      case 'MX':
        this.u16(rr.data.preference);
        this.name(rr.data.exchange);
        break;
      case 'SOA':
        this.name(rr.data.mname);
        this.name(rr.data.rname);
        this.u32(rr.data.serial);
        this.u32(rr.data.refresh);
        this.u32(rr.data.retry);
        this.u32(rr.data.expire);
        this.u32(rr.data.minimum);
        break;
      case 'TXT':
        for (const text of rr.data) {
          const octets = Buffer.from(text, 'utf8');
          if (octets.length > 255) throw new Error(`dns/wire: TXT string of ${octets.length} octets at ${rr.name}`);
          this.u8(octets.length);
          this.bytes(octets);
        }
        break;
      default:
        this.bytes(foreignRdata(rr));
    }
    this.buf.writeUInt16BE(this.pos - lengthAt - 2, lengthAt);
  }

  /** A copy of everything written since `from`. */
  take(from = 0): Buffer {
    return Buffer.from(this.buf.subarray(from, this.pos));
  }

  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** RDATA of a type outside the model, encoded by dns-packet (names uncompressed). */
function foreignRdata(rr: dnsPacket.Answer): Buffer {
  const packet = dnsPacket.encode({ answers: [{ ...rr, name: '' }] });
  // header, root owner (1), type, class, ttl, rdlength, rdata
  return packet.subarray(HEADER_LENGTH + 1 + 10);
}

export function ipv4Octets(address: string): Uint8Array {
  const parts = address.split('.');
  const octets = new Uint8Array(4);
  if (parts.length !== 4) throw new Error(`dns/wire: bad IPv4 address ${address}`);
  parts.forEach((part, i) => {
    const n = Number(part);
    if (!/^\d{1,3}$/.test(part) || n > 255) throw new Error(`dns/wire: bad IPv4 address ${address}`);
    octets[i] = n;
  });
  return octets;
}

export function ipv6Octets(address: string): Uint8Array {
  let text = address;
  let tail: number[] = [];
  // An embedded IPv4 suffix (::ffff:192.0.2.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = [...ipv4Octets(v4[1]!)];
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`dns/wire: bad IPv6 address ${address}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) throw new Error(`dns/wire: bad IPv6 address ${address}`);
  const groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  const octets = new Uint8Array(16);
  groups.forEach((group, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) throw new Error(`dns/wire: bad IPv6 address ${address}`);
    const n = parseInt(group, 16);
    octets[i * 2] = n >> 8;
    octets[i * 2 + 1] = n & 0xff;
  });
  if (tail.length === 4) octets.set(tail, 12);
  return octets;
}
