/**
 * A topology's YAML read as plain data, with where each node was written: what both readers
 * produce, the yaml package's (document.ts) and the one-pass reader of the plain subset
 * (yaml-subset.ts). The two must agree on every document the subset reader accepts.
 */
import type { Finding } from '../diagnostics.js';
import type { SourceMap } from './source-map.js';

export interface ParsedYaml {
  /** Undefined when the text is not one YAML document that can be read as data. */
  readonly value: unknown;
  readonly source: SourceMap;
  readonly findings: readonly Finding[];
  /** Pointers of the keys written a second time in their mapping (the first one is kept). */
  readonly repeatedKeys: readonly string[];
  /** The text of the plain scalar at `pointer` when YAML read it as a number, boolean or null. */
  plainText(pointer: string): string | undefined;
}

/**
 * `plainText`: the text of each plain scalar read as a number, boolean or null, by pointer.
 */
export function parsedYaml(
  value: unknown,
  source: SourceMap,
  findings: readonly Finding[],
  repeatedKeys: readonly string[],
  plainText: (pointer: string) => string | undefined,
): ParsedYaml {
  return { value, source, findings, repeatedKeys, plainText };
}

/** Adds a key to a mapping read from YAML; `__proto__` is a name like any other here, not the object's prototype. */
export function setEntry(mapping: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(mapping, key, { value, enumerable: true, writable: true, configurable: true });
  } else mapping[key] = value;
}
