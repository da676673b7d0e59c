/**
 * Where each node of a YAML/JSON document was written, by JSON pointer (filled by the YAML
 * readers, document.ts and yaml-subset.ts).
 *
 * Only the topology document itself is mapped (users from CSV carry their own line numbers),
 * so the map stays small even for plans with a million users. It keeps offsets into the text,
 * not positions: a finding asks for a handful of the 400,000 nodes of a 10,000-domain plan, and
 * only those are turned into line and column.
 */
import type { SourceLocation } from '../diagnostics.js';

export class SourceMap {
  private readonly values = new Map<string, number>();
  private readonly keys = new Map<string, number>();

  /** `lineStarts`: the offset at which each line of the text starts, the first 0 (as yaml's LineCounter keeps them). */
  constructor(
    readonly file: string,
    private readonly lineStarts: readonly number[],
  ) {}

  /** The value at `pointer` starts at `offset` in the text. */
  setValue(pointer: string, offset: number): void {
    this.values.set(pointer, offset);
  }

  /** The key that introduces `pointer` starts at `offset` in the text. */
  setKey(pointer: string, offset: number): void {
    this.keys.set(pointer, offset);
  }

  /** The location of the value at `pointer`, or of its nearest mapped ancestor (1:1 for an empty file). */
  at(pointer: string): SourceLocation {
    for (let p = pointer; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      const offset = this.values.get(p);
      if (offset !== undefined) return this.locate(offset, pointer);
      if (p === '') return { file: this.file, line: 1, column: 1, path: pointer };
    }
  }

  /** The location of the key that introduces `pointer` (for unknown or misspelt keys). */
  keyAt(pointer: string): SourceLocation {
    const offset = this.keys.get(pointer);
    return offset === undefined ? this.at(pointer) : this.locate(offset, pointer);
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

/** RFC 6901 §3: "~" is written "~0" and "/" "~1"; a segment with neither (nearly every one) is itself. */
export function escapePointer(segment: string): string {
  if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function pointer(...segments: (string | number)[]): string {
  // Called for every located part of every domain (normalize): no array per call.
  let out = '';
  for (const s of segments) out += `/${typeof s === 'number' ? s : escapePointer(s)}`;
  return out;
}

/** "/domains/acme.example/mx/0" -> ["domains", "acme.example", "mx", "0"] */
export function segmentsOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
}
