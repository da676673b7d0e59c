/**
 * A topology's YAML (JSON is YAML) as plain data, with where each node was written.
 *
 * Most topologies are written in a plain subset of YAML that yaml-subset.ts reads in one pass;
 * whatever lies outside it (anchors, tags, block scalars, any problem) is read here, with the
 * yaml package.
 *
 * yaml's own `toJS` is not used, for three reasons:
 * - it turns the keys `007:`, `0x1F:` and `1e3:` into "7", "31" and "1000" (the YAML 1.2 core
 *   schema resolves plain scalars); a key here is always the text as written;
 * - it throws, with a stack and no position, on an alias bomb or an alias without its anchor;
 * - the source map needs the same walk anyway, so one walk does both.
 * Every problem is a finding with a position; nothing here throws for bad input.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import type { Finding, SourceLocation } from '../diagnostics.js';
import { parsedYaml, setEntry, type ParsedYaml } from './parsed-yaml.js';
import { escapePointer, PointerSourceMap } from './source-map.js';
import { readYamlSubset } from './yaml-subset.js';

/**
 * What alias expansion may add to a document, in nodes: generous for shared fragments (an MX list
 * reused by 10,000 domains adds 70,000), small against "billion laughs" nesting (9 levels of 10
 * aliases add 10^9), and linear in the document, so no input makes loading superlinear.
 */
const ALIAS_BUDGET_BASE = 100_000;
const ALIAS_BUDGET_PER_NODE = 10;

const RULE = 'topology-syntax';
/** The loader check that owns every finding about the text itself (src/loader-checks.ts). */
export const SYNTAX_RULE = RULE;

export function parseYaml(text: string, file: string): ParsedYaml {
  return readYamlSubset(text, file) ?? readYamlDocument(text, file);
}

/** Any YAML, read with the yaml package. */
export function readYamlDocument(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares every pair of keys (quadratic in 10k domains);
  // the walk below finds duplicates with one set per mapping instead.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const source = new PointerSourceMap(file, lines.lineStarts);
  const coerced = new Map<string, string>();
  const result = (value: unknown, findings: Finding[], repeatedKeys: string[] = []): ParsedYaml =>
    parsedYaml(value, source, findings, repeatedKeys, (pointer) => coerced.get(pointer));
  const locate = (node: Node | null | undefined, path: string): SourceLocation => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { file, line: 1, column: 1, path };
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, path };
  };

  const errors = [...doc.errors, ...doc.warnings];
  if (errors.length > 0) return result(undefined, [syntaxFinding(errors, file)]);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.source)) {
    return result(undefined, [
      {
        rule: RULE,
        severity: 'error',
        message: 'the file is empty: a topology is a YAML mapping that starts with "version: 1"',
        fix: 'Write the topology, or give the path of the right file.',
        location: { file, line: 1, column: 1, path: '' },
      },
    ]);
  }

  const findings: Finding[] = [];
  const repeatedKeys: string[] = [];
  let budget = ALIAS_BUDGET_BASE + ALIAS_BUDGET_PER_NODE * countNodes(doc);
  let fatal = false;
  // Anchors in document order (an alias names the last anchor before it, YAML 1.2 §7.1), each
  // alias resolved once; each anchored node is converted once and its expanded size charged at
  // every alias that uses it.
  const anchors = new Map<string, Node>();
  const aliasTargets = new Map<unknown, Node | undefined>();
  const anchored = new Map<Node, { value: unknown; size: number }>();
  const open = new Set<unknown>();

  /** Converts `node` and returns its value and its expanded size in nodes. */
  const convert = (node: unknown, path: string, record: boolean): { value: unknown; size: number } => {
    if (isAlias(node)) {
      if (!aliasTargets.has(node)) aliasTargets.set(node, anchors.get(node.source));
      const target = aliasTargets.get(node);
      if (!target || open.has(target)) {
        fatal = true;
        findings.push({
          rule: RULE,
          severity: 'error',
          message: target
            ? `alias *${node.source} refers to the value that contains it`
            : `alias *${node.source} has no anchor &${node.source} before it`,
          fix: `Define the anchor (&${node.source}) before its first use, outside the value that uses it.`,
          location: locate(node, path),
        });
        return { value: null, size: 1 };
      }
      let done = anchored.get(target);
      if (!done) {
        // Positions inside an alias point at the alias itself (see SourceMap.at).
        done = convert(target, path, false);
        anchored.set(target, done);
      }
      budget -= done.size;
      if (budget < 0 && !fatal) {
        fatal = true;
        findings.push({
          rule: RULE,
          severity: 'error',
          message: `too many alias expansions: the aliases expand past ${ALIAS_BUDGET_BASE} nodes more than the document holds (nested anchors, a "billion laughs" document?)`,
          fix: 'Write the repeated values out, or nest aliases less deeply.',
          location: locate(node, path),
        });
      }
      return { value: fatal ? null : done.value, size: done.size };
    }
    if (fatal) return { value: null, size: 1 };
    const anchor = (node as Node | null)?.anchor;
    if (!anchor) return convertNode(node, path, record);
    if (record) anchors.set(anchor, node as Node);
    open.add(node);
    try {
      return convertNode(node, path, record);
    } finally {
      open.delete(node);
    }
  };

  const convertNode = (node: unknown, path: string, record: boolean): { value: unknown; size: number } => {
    if (record) {
      const offset = (node as Node | null)?.range?.[0];
      if (offset !== undefined) source.setValue(path, offset);
    }
    if (isMap(node)) {
      const value: Record<string, unknown> = {};
      const seen = new Set<string>();
      let size = 1;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = keyText(pair.key);
        const child = `${path}/${escapePointer(key ?? '')}`;
        if (key === undefined) {
          fatal = true;
          findings.push({
            rule: RULE,
            severity: 'error',
            message: 'a key must be a name, not a list or a mapping',
            fix: 'Write the key as plain text.',
            location: locate(pair.key as Node, path),
          });
          continue;
        }
        const keyOffset = (pair.key as Node | null)?.range?.[0];
        if (seen.has(key)) {
          if (record) {
            const first = source.keyAt(child);
            findings.push({
              rule: RULE,
              severity: 'error',
              message: `duplicate key "${key}": a key may appear once in a mapping (the first, at line ${first.line}, is kept)`,
              fix: 'Merge the two entries or remove one.',
              location: locate(pair.key as Node, child),
              related: [first],
            });
            repeatedKeys.push(child);
          }
          continue;
        }
        seen.add(key);
        if (record && keyOffset !== undefined) {
          source.setKey(child, keyOffset);
          // A key with an empty value (`mx:`) has no value node: point at the key.
          if (pair.value === null) source.setValue(child, keyOffset);
        }
        const converted = convert(pair.value, child, record);
        size += converted.size;
        setEntry(value, key, converted.value);
      }
      return { value, size };
    }
    if (isSeq(node)) {
      const value: unknown[] = [];
      let size = 1;
      node.items.forEach((item, i) => {
        const converted = convert(item, `${path}/${i}`, record);
        size += converted.size;
        value.push(converted.value);
      });
      return { value, size };
    }
    if (isScalar(node)) {
      if (record && node.type === Scalar.PLAIN && typeof node.value !== 'string' && node.source) {
        coerced.set(path, node.source);
      }
      return { value: node.value, size: 1 };
    }
    return { value: null, size: 1 }; // an empty value (`key:`)
  };

  const { value } = convert(doc.contents, '', true);
  return fatal ? result(undefined, findings) : result(value, findings, repeatedKeys);
}

/**
 * A key as written: a plain scalar's source text (so `007` stays "007"), a quoted scalar's
 * string; undefined for a collection used as a key.
 */
function keyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return ''; // `: value`, an empty key
  if (!isScalar(key)) return undefined;
  if (typeof key.value === 'string') return key.value;
  return key.source ?? String(key.value);
}

function countNodes(doc: Document): number {
  let n = 0;
  const visit = (node: unknown): void => {
    n++;
    if (isMap(node)) for (const pair of node.items) visit(pair.value);
    else if (isSeq(node)) for (const item of node.items) visit(item);
  };
  visit(doc.contents);
  return n;
}

/**
 * YAML syntax errors: the first one, by position. Those after it are most often its echo (a tab
 * in the indentation misaligns every following line), so they go under it as related locations,
 * as a compiler reports one parse error: fixing it shows what remains.
 */
function syntaxFinding(errors: readonly YAMLError[], file: string): Finding {
  const located = errors.map((e) => ({
    error: e,
    location: {
      file,
      line: e.linePos?.[0].line ?? 1,
      column: e.linePos?.[0].col ?? 1,
      path: '',
    },
  }));
  located.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
  const [first, ...rest] = located;
  return {
    rule: RULE,
    severity: 'error',
    message: syntaxMessage(first!.error),
    ...(rest.length > 0 ? { related: rest.slice(0, 20).map((r) => r.location) } : {}),
    fix: 'Correct the YAML at this position (spaces, not tabs, for indentation; a space after each ":" and "-"); the plan\'s checks run once it parses.',
    location: first!.location,
  };
}

/** yaml's message, without its own position suffix, and never more than a short quote of the input. */
function syntaxMessage(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS')
    return 'the file holds more than one YAML document (a second "---"); a topology is one';
  if (/Maximum call stack/.test(error.message)) return 'the YAML is nested too deeply to read';
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, quoted: string) =>
    quoted.length > 40 ? `"${quoted.slice(0, 40)}…"` : whole,
  );
}
