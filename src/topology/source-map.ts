/**
 * Where each node of a YAML/JSON document was written, by JSON pointer (RFC 6901), filled by the
 * YAML readers: yaml-subset.ts keeps a tree of its nodes (TreeSourceMap), document.ts a map by
 * pointer (PointerSourceMap).
 *
 * Only the topology document itself is mapped (users from CSV carry their own line numbers),
 * so the map stays small even for plans with a million users. It keeps offsets into the text,
 * not positions: a finding asks for a handful of the 400,000 nodes of a 10,000-domain plan, and
 * only those are turned into line and column.
 */
import type { SourceLocation } from '../diagnostics.js';

/** A pointer's segments: a sequence's index may be given as a number. */
export type PathSegments = readonly (string | number)[];

export abstract class SourceMap {
  /** `lineStarts`: the offset at which each line of the text starts, the first 0 (as yaml's LineCounter keeps them). */
  constructor(
    readonly file: string,
    private readonly lineStarts: readonly number[],
  ) {}

  /**
   * The offset of the value at `segments` (whose pointer is `path`), or of its nearest mapped
   * ancestor; undefined when none is mapped.
   */
  protected abstract valueOffset(segments: PathSegments, path: string): number | undefined;

  /** The offset of the key that introduces `segments` (whose pointer is `path`), when it was written. */
  protected abstract keyOffset(segments: PathSegments, path: string): number | undefined;

  /** The location of the value at `pointer`, or of its nearest mapped ancestor (1:1 for an empty file). */
  at(pointer: string): SourceLocation {
    return this.atPath(segmentsOf(pointer), pointer);
  }

  /** As `at`, given the pointer's segments (normalize has them, and need not split a pointer). */
  atPath(segments: PathSegments, path = pointer(...segments)): SourceLocation {
    const offset = this.valueOffset(segments, path);
    return offset === undefined ? { file: this.file, line: 1, column: 1, path } : this.locate(offset, path);
  }

  /** The location of the key that introduces `pointer` (for unknown or misspelt keys). */
  keyAt(pointer: string): SourceLocation {
    return this.keyAtPath(segmentsOf(pointer), pointer);
  }

  /** As `keyAt`, given the pointer's segments. */
  keyAtPath(segments: PathSegments, path = pointer(...segments)): SourceLocation {
    const offset = this.keyOffset(segments, path);
    return offset === undefined ? this.atPath(segments, path) : this.locate(offset, path);
  }

  /** 1-based line and column of an offset, found as yaml's LineCounter.linePos finds them. */
  private locate(offset: number, path: string): SourceLocation {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (starts[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { file: this.file, line: low + 1, column: 1, path };
    if (low === 0) return { file: this.file, line: 0, column: offset, path };
    return { file: this.file, line: low, column: offset - starts[low - 1]! + 1, path };
  }
}

/** Offsets by pointer: for a reader that knows each node by its path (document.ts, over yaml's tree). */
export class PointerSourceMap extends SourceMap {
  private readonly values = new Map<string, number>();
  private readonly keys = new Map<string, number>();

  /** The value at `pointer` starts at `offset` in the text. */
  setValue(pointer: string, offset: number): void {
    this.values.set(pointer, offset);
  }

  /** The key that introduces `pointer` starts at `offset` in the text. */
  setKey(pointer: string, offset: number): void {
    this.keys.set(pointer, offset);
  }

  protected valueOffset(segments: PathSegments, path: string): number | undefined {
    const offset = this.values.get(path);
    if (offset !== undefined) return offset;
    for (let n = segments.length - 1; n >= 0; n--) {
      const ancestor = this.values.get(pointer(...segments.slice(0, n)));
      if (ancestor !== undefined) return ancestor;
    }
    return undefined;
  }

  protected keyOffset(_segments: PathSegments, path: string): number | undefined {
    return this.keys.get(path);
  }
}

/** A node of a TreeSourceMap, by its index. */
export type SourceNode = number;

/** Children scanned before a node's children are put in a map by key (the domains, a users mapping). */
const SCAN_LIMIT = 16;

/**
 * Offsets in a tree of the document's nodes, numbered in document order: for a reader that
 * walks the text once (yaml-subset.ts). Each node costs four array slots and no string of its
 * own (its key is the parser's): a pointer is only made for the locations asked for, not for
 * each of the 400,000 nodes (bench/lint.mjs, 1M users: load and lint 19% faster than with
 * PointerSourceMap).
 */
export class TreeSourceMap extends SourceMap {
  /** Each node's key in its parent: a mapping's key, or a sequence's index. The root's is "". */
  private readonly keys: (string | number)[] = [];
  /** Where each node's value starts, and the key that introduces it (-1: not written). */
  private readonly valueOffsets: number[] = [];
  private readonly keyOffsets: number[] = [];
  /** The index after each node's last descendant: its next sibling's, when it has one. */
  private readonly ends: number[] = [];
  /** The children of a node with many, by key (built at its first lookup). */
  private readonly childIndex = new Map<SourceNode, Map<string, SourceNode>>();

  /**
   * Adds the next node in document order: the root first, then each node after its parent and
   * its elder siblings' descendants (`close` ends a parent's descendants).
   */
  add(key: string | number, keyOffset: number): SourceNode {
    const node = this.keys.length;
    this.keys.push(key);
    this.keyOffsets.push(keyOffset);
    this.valueOffsets.push(-1);
    this.ends.push(node + 1);
    return node;
  }

  /** The value of `node` starts at `offset` in the text. */
  setValue(node: SourceNode, offset: number): void {
    this.valueOffsets[node] = offset;
  }

  /** Every node added since `node` was is its descendant. */
  close(node: SourceNode): void {
    this.ends[node] = this.keys.length;
  }

  /** The node at `segments`, or -1; `nearest` gives the deepest one on the way that has a value instead. */
  nodeAt(segments: PathSegments, nearest = false): SourceNode {
    if (this.keys.length === 0) return -1;
    let node = 0;
    let mapped = this.valueOffsets[0]! >= 0 ? 0 : -1;
    for (const segment of segments) {
      const child = this.childOf(node, segment);
      if (child < 0) return nearest ? mapped : -1;
      node = child;
      if (this.valueOffsets[node]! >= 0) mapped = node;
    }
    return nearest ? mapped : node;
  }

  protected valueOffset(segments: PathSegments): number | undefined {
    const node = this.nodeAt(segments, true);
    return node < 0 ? undefined : this.valueOffsets[node];
  }

  protected keyOffset(segments: PathSegments): number | undefined {
    const node = this.nodeAt(segments);
    const offset = node < 0 ? -1 : this.keyOffsets[node]!;
    return offset < 0 ? undefined : offset;
  }

  private childOf(parent: SourceNode, segment: string | number): SourceNode {
    const index = this.childIndex.get(parent);
    if (index) return index.get(String(segment)) ?? -1;
    const end = this.ends[parent]!;
    let scanned = 0;
    for (let child = parent + 1; child < end; child = this.ends[child]!) {
      const key = this.keys[child]!;
      // A pointer's "0" is a sequence's index 0 (RFC 6901 §4).
      if (key === segment || (typeof key !== typeof segment && String(key) === String(segment))) return child;
      if (++scanned === SCAN_LIMIT) return this.indexChildren(parent).get(String(segment)) ?? -1;
    }
    return -1;
  }

  private indexChildren(parent: SourceNode): Map<string, SourceNode> {
    const index = new Map<string, SourceNode>();
    const end = this.ends[parent]!;
    for (let child = parent + 1; child < end; child = this.ends[child]!) index.set(String(this.keys[child]), child);
    this.childIndex.set(parent, index);
    return index;
  }
}

/** RFC 6901 §3: "~" is written "~0" and "/" "~1"; a segment with neither (nearly every one) is itself. */
export function escapePointer(segment: string): string {
  if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function pointer(...segments: PathSegments): string {
  // Called for every located part of every domain (normalize): no array per call.
  let out = '';
  for (const s of segments) out += `/${typeof s === 'number' ? s : escapePointer(s)}`;
  return out;
}

/** "/domains/acme.example/mx/0" -> ["domains", "acme.example", "mx", "0"] */
export function segmentsOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
}
