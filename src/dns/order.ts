/**
 * The one record order, shared by the zone writer, `mxplan records` and the responder.
 *
 * A zone's records are listed:
 * - by owner, in DNS canonical order (RFC 4034 §6.1): labels compared from the right, each as
 *   lowercase octets, a name sorting before its descendants; so the apex comes first;
 * - at one owner, by type: SOA, NS, MX, A, AAAA, TXT, PTR, CNAME (the SOA and NS first, as
 *   hand-written zones have them; types not listed sort after these, by name);
 * - within an RRset, by data: MX by preference, then exchange; A and AAAA numerically; NS, PTR
 *   and CNAME by target in canonical order; TXT by its text.
 *
 * Sorting takes precomputed keys, so ordering a zone costs O(n log n) string comparisons and
 * no splitting inside the comparator.
 */
import { ipv6Nibbles } from '../topology/ip.js';
import type { RecordType, ResourceRecord } from './records.js';

/** The type order at one owner name. */
export const TYPE_ORDER: readonly RecordType[] = ['SOA', 'NS', 'MX', 'A', 'AAAA', 'TXT', 'PTR', 'CNAME'];

const TYPE_RANK = new Map<string, number>(TYPE_ORDER.map((type, i) => [type, i]));

/**
 * A string whose plain (code unit) order is the canonical order of names: the labels from the
 * right, joined by NUL, which sorts below every label octet so that "a.x" precedes "a-b.x".
 * Names are canonical (lowercase, no trailing dot), so no case folding is needed here.
 */
export function canonicalKey(name: string): string {
  return name === '' ? '' : name.split('.').reverse().join('\0');
}

export function compareNames(a: string, b: string): number {
  return compareStrings(canonicalKey(a), canonicalKey(b));
}

/** Code-unit order, never locale order: the output must not depend on the machine's locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key that orders records inside one RRset (see the list at the top of the file). */
export function dataKey(record: ResourceRecord): string {
  switch (record.type) {
    case 'SOA':
      return '';
    case 'MX':
      return `${record.data.preference.toString().padStart(5, '0')} ${canonicalKey(record.data.exchange)}`;
    case 'A':
      return record.data
        .split('.')
        .map((octet) => octet.padStart(3, '0'))
        .join('.');
    case 'AAAA':
      return ipv6Nibbles(record.data);
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return canonicalKey(record.data);
    case 'TXT':
      return record.data.join('');
  }
}

function typeRank(type: string): number {
  return TYPE_RANK.get(type) ?? TYPE_ORDER.length;
}

/** Compares two records by owner, type and data, in the order documented above. */
export function compareRecords(a: ResourceRecord, b: ResourceRecord): number {
  return (
    compareNames(a.name, b.name) ||
    typeRank(a.type) - typeRank(b.type) ||
    compareStrings(a.type, b.type) ||
    compareStrings(dataKey(a), dataKey(b))
  );
}

/** The records in zone order, as a new array (each key computed once). */
export function sortRecords(records: readonly ResourceRecord[]): ResourceRecord[] {
  const keyed = records.map((record) => ({
    record,
    owner: canonicalKey(record.name),
    rank: typeRank(record.type),
    data: dataKey(record),
  }));
  keyed.sort(
    (a, b) =>
      compareStrings(a.owner, b.owner) ||
      a.rank - b.rank ||
      compareStrings(a.record.type, b.record.type) ||
      compareStrings(a.data, b.data),
  );
  return keyed.map((k) => k.record);
}
