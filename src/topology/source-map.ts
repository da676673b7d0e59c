/**
 * Where each node of a YAML/JSON document was written, by JSON pointer.
 *
 * Only the topology document itself is mapped (users from CSV carry their own line numbers),
 * so the map stays small even for plans with a million users.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { SourceLocation } from '../diagnostics.js';

interface Position {
  readonly line: number;
  readonly column: number;
}

export class SourceMap {
  private readonly values = new Map<string, Position>();
  private readonly keys = new Map<string, Position>();
  /** Keys written twice in one mapping (YAML 1.2 requires unique keys). */
  readonly duplicateKeys: { key: string; at: SourceLocation }[] = [];

  constructor(readonly file: string) {}

  static fromDocument(file: string, doc: Document, lines: LineCounter): SourceMap {
    const map = new SourceMap(file);
    const at = (offset: number | undefined): Position | undefined => {
      if (offset === undefined) return undefined;
      const { line, col } = lines.linePos(offset);
      return { line, column: col };
    };
    const walk = (node: unknown, pointer: string): void => {
      if (!node || typeof node !== 'object') return;
      const pos = at((node as Node).range?.[0]);
      if (pos) map.values.set(pointer, pos);
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const child = `${pointer}/${escapePointer(key)}`;
          const keyPos = at((pair.key as Node | null)?.range?.[0]);
          if (seen.has(key)) {
            map.duplicateKeys.push({
              key,
              at: { file, line: keyPos?.line ?? 0, column: keyPos?.column ?? 0, path: child },
            });
            continue;
          }
          seen.add(key);
          if (keyPos) map.keys.set(child, keyPos);
          // A key with an empty value (`mx:`) has no value node: point at the key.
          if (pair.value === null && keyPos) map.values.set(child, keyPos);
          walk(pair.value, child);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => walk(item, `${pointer}/${i}`));
      }
    };
    walk(doc.contents, '');
    return map;
  }

  /** The location of the value at `pointer`, or of its nearest mapped ancestor. */
  at(pointer: string): SourceLocation {
    for (let p = pointer; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      const pos = this.values.get(p);
      if (pos) return { file: this.file, line: pos.line, column: pos.column, path: pointer };
      if (p === '') return { file: this.file, line: 0, column: 0, path: pointer };
    }
  }

  /** The location of the key that introduces `pointer` (for unknown or misspelt keys). */
  keyAt(pointer: string): SourceLocation {
    const pos = this.keys.get(pointer);
    return pos ? { file: this.file, line: pos.line, column: pos.column, path: pointer } : this.at(pointer);
  }
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(String(s))}`).join('');
}
