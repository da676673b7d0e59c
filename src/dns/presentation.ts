/**
 * RFC 1035 §5.1 presentation format of record data: what the zone writer prints and what
 * `mxplan records --format text` lists.
 *
 * Names in data are always absolute (a trailing dot), so a line means the same whatever the
 * $ORIGIN above it. The root (the null MX exchange) is ".".
 */
import type { ResourceRecord, Zone } from './records.js';

/** An absolute name: "mail1.infra.example." ("." for the root). Escapes (\.) pass through. */
export function absoluteName(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

/**
 * One character-string in quotes (RFC 1035 §5.1): `"` and `\` escaped with a backslash, octets
 * outside printable ASCII as \DDD, so a file is plain ASCII whatever the text.
 */
export function quotedString(text: string): string {
  let out = '"';
  for (const octet of Buffer.from(text, 'utf8')) {
    if (octet === 0x22 || octet === 0x5c) out += `\\${String.fromCharCode(octet)}`;
    else if (octet >= 0x20 && octet < 0x7f) out += String.fromCharCode(octet);
    else out += `\\${octet.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The RDATA on one line (SOA fields space-separated; TXT strings space-separated). */
export function rdataText(record: ResourceRecord): string {
  switch (record.type) {
    case 'SOA': {
      const d = record.data;
      return `${absoluteName(d.mname)} ${absoluteName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    }
    case 'MX':
      return `${record.data.preference} ${absoluteName(record.data.exchange)}`;
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return absoluteName(record.data);
    case 'A':
    case 'AAAA':
      return record.data;
    case 'TXT':
      return record.data.map(quotedString).join(' ');
  }
}

/** A whole record on one line, fully qualified: `acme.example. 3600 IN MX 10 mail1.infra.example.` */
export function recordLine(record: ResourceRecord): string {
  return `${absoluteName(record.name)} ${record.ttl} IN ${record.type} ${rdataText(record)}`;
}

/** A record as `mxplan records --format json` prints it. */
export interface RecordObject {
  readonly zone: string;
  /** Canonical: lowercase, no trailing dot. */
  readonly owner: string;
  readonly type: ResourceRecord['type'];
  readonly ttl: number;
  /** As in the record model: MX {preference, exchange} (exchange "" for the null MX), SOA fields, TXT strings. */
  readonly data: ResourceRecord['data'];
}

export function recordObjects(zones: readonly Zone[]): RecordObject[] {
  return zones.flatMap((zone) =>
    zone.records.map((r) => ({ zone: zone.origin, owner: r.name, type: r.type, ttl: r.ttl, data: r.data })),
  );
}
