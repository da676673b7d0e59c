/**
 * The difference between two record sets, zone by zone: what `mxplan diff` lists and what
 * `mxplan drift` reports, in the kinds DNSControl's preview uses.
 *
 * - create: a record only the new side has;
 * - delete: a record only the old side has;
 * - modify: a record whose data changed, paired with the old record it replaces: within one RRset
 *   (owner and type), the records left over on both sides are paired in canonical order, and the
 *   rest are creates or deletes;
 * - modify-ttl: a record with the same data and a different TTL, kept apart because a TTL change
 *   alone moves no mail (RFC 2181 §5.2: the TTL belongs to the RRset).
 *
 * Zones come in canonical order of their apex, and changes within a zone in the records' canonical
 * order (order.ts), so the same two inputs always give the same list. SOA serials are not
 * compared: the zone writer and the servers set them, the plan does not.
 */
import { canonicalKey, compareRecords, compareStrings, dataKey } from './order.js';
import type { ResourceRecord, Zone } from './records.js';

export type RecordChangeKind = 'create' | 'delete' | 'modify' | 'modify-ttl';

export type RecordChange =
  | { readonly kind: 'create'; readonly zone: string; readonly after: ResourceRecord }
  | { readonly kind: 'delete'; readonly zone: string; readonly before: ResourceRecord }
  | {
      readonly kind: 'modify' | 'modify-ttl';
      readonly zone: string;
      readonly before: ResourceRecord;
      readonly after: ResourceRecord;
    };

export interface ZoneDiff {
  readonly origin: string;
  /** Whether the zone exists only on the new side (new), only on the old (removed), or on both. */
  readonly status: 'new' | 'removed' | 'changed';
  readonly changes: readonly RecordChange[];
}

/** The changes from `before` to `after`, per zone; zones without changes are left out. */
export function diffZones(before: readonly Zone[], after: readonly Zone[]): ZoneDiff[] {
  const old = new Map(before.map((z) => [z.origin, z]));
  const next = new Map(after.map((z) => [z.origin, z]));
  const origins = [...new Set([...old.keys(), ...next.keys()])].sort((a, b) =>
    compareStrings(canonicalKey(a), canonicalKey(b)),
  );
  const diffs: ZoneDiff[] = [];
  for (const origin of origins) {
    const a = old.get(origin);
    const b = next.get(origin);
    const changes = diffRecords(origin, a?.records ?? [], b?.records ?? []);
    if (changes.length === 0) continue;
    diffs.push({ origin, status: !a ? 'new' : !b ? 'removed' : 'changed', changes });
  }
  return diffs;
}

/** The changes between two record lists of one zone, in canonical order. */
export function diffRecords(
  zone: string,
  before: readonly ResourceRecord[],
  after: readonly ResourceRecord[],
): RecordChange[] {
  const old = byRRset(before);
  const next = byRRset(after);
  const changes: RecordChange[] = [];
  for (const key of new Set([...old.keys(), ...next.keys()])) {
    changes.push(...diffRRset(zone, old.get(key) ?? [], next.get(key) ?? []));
  }
  return changes.sort((x, y) => compareRecords(shown(x), shown(y)) || KIND_RANK[x.kind] - KIND_RANK[y.kind]);
}

/** The record a change is listed under: the new one, or for a deletion the old one. */
export function shown(change: RecordChange): ResourceRecord {
  return change.kind === 'delete' ? change.before : change.after;
}

const KIND_RANK: Record<RecordChangeKind, number> = { delete: 0, modify: 1, 'modify-ttl': 2, create: 3 };

function diffRRset(zone: string, before: ResourceRecord[], after: ResourceRecord[]): RecordChange[] {
  const oldByData = new Map(before.map((r) => [identity(r), r]));
  const changes: RecordChange[] = [];
  const added: ResourceRecord[] = [];
  for (const record of after) {
    const same = oldByData.get(identity(record));
    if (!same) {
      added.push(record);
      continue;
    }
    oldByData.delete(identity(record));
    if (same.ttl !== record.ttl) changes.push({ kind: 'modify-ttl', zone, before: same, after: record });
  }
  const removed = [...oldByData.values()].sort(compareRecords);
  added.sort(compareRecords);
  const paired = Math.min(removed.length, added.length);
  for (let i = 0; i < paired; i++) changes.push({ kind: 'modify', zone, before: removed[i]!, after: added[i]! });
  for (const record of removed.slice(paired)) changes.push({ kind: 'delete', zone, before: record });
  for (const record of added.slice(paired)) changes.push({ kind: 'create', zone, after: record });
  return changes;
}

function byRRset(records: readonly ResourceRecord[]): Map<string, ResourceRecord[]> {
  const sets = new Map<string, ResourceRecord[]>();
  for (const record of records) {
    const key = `${record.name} ${record.type}`;
    const set = sets.get(key);
    if (set) set.push(record);
    else sets.set(key, [record]);
  }
  return sets;
}

/** What makes two records the same record: the data, the SOA serial aside. */
function identity(record: ResourceRecord): string {
  if (record.type === 'SOA') return JSON.stringify({ ...record.data, serial: 0 });
  // dataKey is the canonical order's key; TXT strings are joined there, so keep their split apart.
  return record.type === 'TXT' ? JSON.stringify(record.data) : dataKey(record);
}
