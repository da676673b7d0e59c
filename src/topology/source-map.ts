/**
 * Where each node of a YAML/JSON document was written, by JSON pointer (filled by document.ts).
 *
 * Only the topology document itself is mapped (users from CSV carry their own line numbers),
 * so the map stays small even for plans with a million users.
 */
import type { SourceLocation } from '../diagnostics.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class SourceMap {
  private readonly values = new Map<string, Position>();
  private readonly keys = new Map<string, Position>();

  constructor(readonly file: string) {}

  setValue(pointer: string, position: Position): void {
    this.values.set(pointer, position);
  }

  setKey(pointer: string, position: Position): void {
    this.keys.set(pointer, position);
  }

  /** The location of the value at `pointer`, or of its nearest mapped ancestor (1:1 for an empty file). */
  at(pointer: string): SourceLocation {
    for (let p = pointer; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      const pos = this.values.get(p);
      if (pos) return { file: this.file, line: pos.line, column: pos.column, path: pointer };
      if (p === '') return { file: this.file, line: 1, column: 1, path: pointer };
    }
  }

  /** The location of the key that introduces `pointer` (for unknown or misspelt keys). */
  keyAt(pointer: string): SourceLocation {
    const pos = this.keys.get(pointer);
    return pos ? { file: this.file, line: pos.line, column: pos.column, path: pointer } : this.at(pointer);
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
