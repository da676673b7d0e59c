/**
 * A one-pass reader for the plain YAML that topologies are written in: block mappings and
 * sequences, flow `{}` and `[]`, plain, single- and double-quoted scalars on one line, comments.
 * It records each node's offset as it goes, where the yaml package builds a syntax tree, a
 * document and a line table before document.ts walks them (for a 10,000-domain plan, most of
 * the loader's time and memory).
 *
 * It answers only for documents it is sure of. Anything else (anchors and aliases, tags, block
 * scalars, multi-line scalars, directives, a second document, a repeated key, tabs, CR line
 * breaks, and every syntax error) makes it answer undefined, and document.ts reads the text
 * with the yaml package: findings are then the yaml package's own. Where it answers, value,
 * positions and plain texts equal the yaml package's (test/topology/yaml-subset.test.ts).
 */
import { parsedYaml, setEntry, type ParsedYaml } from './parsed-yaml.js';
import { segmentsOf, TreeSourceMap, type SourceNode } from './source-map.js';

/** Raised at anything outside the subset; never leaves this module. */
class OutsideSubset extends Error {}

/** Deeper nesting than a topology has is left to the yaml package, which reports it. */
const MAX_DEPTH = 64;

/** YAML 1.2 §7.4: an implicit key is at most 1024 characters; well below it, the yaml package decides. */
const MAX_KEY_LENGTH = 1000;

/**
 * Tabs (separation or indentation), CR and the Unicode line breaks, and a byte order mark have
 * rules of their own.
 */
const OUTSIDE_CHARACTERS = /[\t\r\uFEFF\u0085\u2028\u2029]/;

/** Characters that may not start a plain scalar (YAML 1.2 §7.3.3 c-indicator); `-` is handled apart. */
const INDICATORS = new Set('?:,[]{}#&*!|>\'"%@`');

const FLOW_INDICATORS = new Set(',[]{}');

/** Double-quoted escapes (YAML 1.2 §5.7), as the yaml package reads them. */
const ESCAPES = new Map(
  Object.entries({
    '0': '\0',
    a: '\x07',
    b: '\b',
    e: '\x1b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
    N: '\u0085',
    _: '\u00a0',
    L: '\u2028',
    P: '\u2029',
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
  }),
);

/** The hex digits after \x, \u and \U. */
const HEX_DIGITS = new Map([
  ['x', 2],
  ['u', 4],
  ['U', 8],
]);

/** The document, or undefined when it lies outside the subset (document.ts then reads it). */
export function readYamlSubset(text: string, file: string): ParsedYaml | undefined {
  if (OUTSIDE_CHARACTERS.test(text)) return undefined;
  try {
    return new SubsetReader(text, file).read();
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
}

/**
 * A plain scalar as the YAML 1.2 core schema resolves it (§10.3.2), with the yaml package's
 * own tests and conversions: null, booleans, integers (0o octal, 0x hex), floats, .inf, .nan.
 */
export function resolvePlain(text: string): unknown {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text)) return text[0] === 't' || text[0] === 'T';
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    if (text.slice(-3).toLowerCase() === 'nan') return NaN;
    return text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}

/** Whether a plain scalar can be anything but text: only those start with one of these. */
const MAYBE_NOT_TEXT = /^[-+.0-9~nNtTfF]/;

class SubsetReader {
  private readonly source: TreeSourceMap;
  /** The text of each plain scalar read as a number, boolean or null, by node. */
  private readonly coerced = new Map<SourceNode, string>();
  /** The reader's offset in the text. */
  private pos = 0;
  /** The indentation of the line `pos` starts, once nextContentLine has found it; -1 at the end. */
  private indent = -1;

  constructor(
    private readonly text: string,
    file: string,
  ) {
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    this.source = new TreeSourceMap(file, lineStarts);
  }

  read(): ParsedYaml {
    // An empty document is document.ts's to report.
    if (this.nextContentLine() < 0) throw new OutsideSubset();
    const start = this.pos + this.indent;
    const { source, coerced } = this;
    const root = source.add('', -1);
    let value: unknown;
    if (this.text[start] === '{' || this.text[start] === '[') {
      value = this.flowCollection(root, start, -1, 0);
      this.endLine();
      this.nextContentLine();
    } else value = this.blockNode(root, 0);
    source.close(root);
    if (this.indent >= 0) throw new OutsideSubset();
    return parsedYaml(value, source, [], [], (pointer) => {
      const node = source.nodeAt(segmentsOf(pointer));
      return node < 0 ? undefined : coerced.get(node);
    });
  }

  /**
   * From the start of a line, past blank and comment lines, to the start of the next line with
   * content; sets `indent` to its indentation (-1 at the end of the text).
   */
  private nextContentLine(): number {
    const { text } = this;
    for (;;) {
      let i = this.pos;
      while (text.charCodeAt(i) === 32) i++;
      if (i >= text.length) {
        this.pos = text.length;
        return (this.indent = -1);
      }
      const c = text[i];
      if (c !== '\n' && c !== '#') {
        const indent = i - this.pos;
        // A document marker ("---", "...") starts a document of its own.
        if (indent === 0 && (text.startsWith('---', i) || text.startsWith('...', i))) throw new OutsideSubset();
        return (this.indent = indent);
      }
      const end = text.indexOf('\n', i);
      this.pos = end < 0 ? text.length : end + 1;
    }
  }

  /** Past the rest of the line after a value: spaces, a comment, the line break. */
  private endLine(): void {
    const { text } = this;
    let i = this.pos;
    while (text.charCodeAt(i) === 32) i++;
    if (text[i] === '#') {
      // YAML 1.2 §6.6: a comment is separated from what precedes it by white space.
      if (i === this.pos) throw new OutsideSubset();
      i = text.indexOf('\n', i);
      if (i < 0) i = text.length;
    }
    if (i < text.length && text[i] !== '\n') throw new OutsideSubset();
    this.pos = i + 1;
  }

  private isSeqEntry(at: number): boolean {
    const next = this.text[at + 1];
    return this.text[at] === '-' && (next === undefined || next === ' ' || next === '\n');
  }

  /** The block node at the start of the content line `pos` is at (its indentation is `indent`). */
  private blockNode(node: SourceNode, depth: number): unknown {
    const start = this.pos + this.indent;
    return this.isSeqEntry(start)
      ? this.blockSeq(node, this.indent, depth)
      : this.blockMapping(node, this.indent, start, depth);
  }

  /** A block mapping whose keys start at column `indent` (0-based), the first one at `start`. */
  private blockMapping(node: SourceNode, indent: number, start: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw new OutsideSubset();
    const { text, source } = this;
    const mapping: Record<string, unknown> = {};
    source.setValue(node, start);
    for (let keyStart = start; ; keyStart = this.pos + indent) {
      const key = this.key(keyStart, false);
      // document.ts reports a repeated key, with the first one's line.
      if (Object.hasOwn(mapping, key)) throw new OutsideSubset();
      const child = source.add(key, keyStart);
      let at = this.pos;
      while (text.charCodeAt(at) === 32) at++;
      let value: unknown;
      if (at < text.length && text[at] !== '\n' && text[at] !== '#') {
        value = this.value(child, at, indent, depth + 1, false);
        this.endLine();
        // A more indented line would continue a multi-line scalar.
        if (this.nextContentLine() > indent) throw new OutsideSubset();
      } else {
        this.endLine();
        const next = this.nextContentLine();
        if (next > indent) value = this.blockNode(child, depth + 1);
        else if (next === indent && this.isSeqEntry(this.pos + next)) value = this.blockSeq(child, next, depth + 1);
        else {
          // An empty value is null, and sits after the ":" and the spaces that follow it.
          value = null;
          source.setValue(child, at);
        }
      }
      source.close(child);
      setEntry(mapping, key, value);
      if (this.indent < indent) return mapping;
      if (this.indent > indent || this.isSeqEntry(this.pos + indent)) throw new OutsideSubset();
    }
  }

  /** A block sequence whose entries' "-" stand at column `indent`; `pos` is at the start of the first one's line. */
  private blockSeq(node: SourceNode, indent: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw new OutsideSubset();
    const { text, source } = this;
    const items: unknown[] = [];
    source.setValue(node, this.pos + indent);
    for (;;) {
      const lineStart = this.pos;
      const child = source.add(items.length, -1);
      let at = lineStart + indent + 1;
      while (text.charCodeAt(at) === 32) at++;
      if (at >= text.length || text[at] === '\n' || text[at] === '#') {
        // The entry on the lines below: a nested block node, or (left to the yaml package) an empty entry.
        this.pos = lineStart + indent + 1;
        this.endLine();
        if (this.nextContentLine() <= indent) throw new OutsideSubset();
        items.push(this.blockNode(child, depth + 1));
      } else if (this.isSeqEntry(at)) {
        throw new OutsideSubset();
      } else if (this.startsKey(at)) {
        // A compact mapping (`- selector: s1`): its keys line up with the first one.
        items.push(this.blockMapping(child, at - lineStart, at, depth + 1));
      } else {
        items.push(this.value(child, at, indent, depth + 1, false));
        this.endLine();
        if (this.nextContentLine() > indent) throw new OutsideSubset();
      }
      source.close(child);
      if (this.indent > indent) throw new OutsideSubset();
      if (this.indent < indent || !this.isSeqEntry(this.pos + indent)) return items;
    }
  }

  /** Whether the text at `at` (inside a line) is an implicit key followed by ":". */
  private startsKey(at: number): boolean {
    const { text } = this;
    const c = text[at];
    if (c === '{' || c === '[') return false;
    let i = at;
    if (c === '"' || c === "'") {
      this.quoted(at);
      i = this.pos;
      while (text.charCodeAt(i) === 32) i++;
      return text[i] === ':';
    }
    for (; ; i++) {
      const ch = text[i];
      if (ch === undefined || ch === '\n' || (ch === ' ' && text[i + 1] === '#')) return false;
      if (ch === ':' && this.endsPlain(i + 1, false)) return true;
    }
  }

  /**
   * An implicit key at `start` and its ":", in a block or in a flow mapping (`flow`); leaves
   * `pos` after the ":".
   */
  private key(start: number, flow: boolean): string {
    const { text } = this;
    let key: string;
    let colon: number;
    const c = text[start];
    if (c === '"' || c === "'") {
      key = this.quoted(start);
      colon = this.pos;
      while (text.charCodeAt(colon) === 32) colon++;
      if (text[colon] !== ':') throw new OutsideSubset();
    } else {
      this.checkPlainStart(start, flow);
      colon = start;
      for (;;) {
        const ch = text[colon];
        if (ch === ':' && this.endsPlain(colon + 1, flow)) break;
        if (
          ch === undefined ||
          ch === '\n' ||
          (flow && FLOW_INDICATORS.has(ch)) ||
          (ch === ' ' && text[colon + 1] === '#')
        ) {
          throw new OutsideSubset();
        }
        colon++;
      }
      key = text.slice(start, trimEnd(text, colon));
    }
    const after = text[colon + 1];
    if (after !== undefined && after !== ' ' && after !== '\n') throw new OutsideSubset();
    if (colon - start > MAX_KEY_LENGTH) throw new OutsideSubset();
    this.pos = colon + 1;
    return key;
  }

  /**
   * A flow collection or a one-line scalar at `start`: after a key or "-" in a block, or inside
   * a flow collection (`flow`). `blockIndent` is the indentation of the block around it (a flow
   * collection's later lines go deeper). A plain scalar ends at a ":" that would make it a key;
   * what follows is the caller's to judge (`a: b: c`, a mapping in a mapping's value on one
   * line, is not YAML).
   */
  private value(node: SourceNode, start: number, blockIndent: number, depth: number, flow: boolean): unknown {
    const { text } = this;
    const c = text[start];
    if (c === '{' || c === '[') return this.flowCollection(node, start, blockIndent, depth);
    this.source.setValue(node, start);
    if (c === '"' || c === "'") return this.quoted(start);
    this.checkPlainStart(start, flow);
    let end = start;
    for (;;) {
      const ch = text[end];
      if (ch === undefined || ch === '\n' || (flow && FLOW_INDICATORS.has(ch)) || (ch === ' ' && text[end + 1] === '#'))
        break;
      if (ch === ':' && this.endsPlain(end + 1, flow)) break;
      end++;
    }
    this.pos = trimEnd(text, end);
    return this.plain(node, text.slice(start, this.pos));
  }

  /** A flow mapping or sequence starting at `start` ("{" or "["); leaves `pos` after its end. */
  private flowCollection(node: SourceNode, start: number, blockIndent: number, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new OutsideSubset();
    const { text, source } = this;
    source.setValue(node, start);
    const isMapping = text[start] === '{';
    const close = isMapping ? '}' : ']';
    const mapping: Record<string, unknown> = {};
    const items: unknown[] = [];
    this.pos = start + 1;
    this.flowSpace(blockIndent);
    if (text[this.pos] === close) {
      this.pos++;
      return isMapping ? mapping : items;
    }
    for (;;) {
      if (isMapping) {
        const keyStart = this.pos;
        const key = this.key(keyStart, true);
        if (Object.hasOwn(mapping, key)) throw new OutsideSubset();
        const child = source.add(key, keyStart);
        this.flowSpace(blockIndent);
        // An empty value (`{ a: }`) is left to the yaml package.
        if (text[this.pos] === ',' || text[this.pos] === '}') throw new OutsideSubset();
        setEntry(mapping, key, this.value(child, this.pos, blockIndent, depth + 1, true));
        source.close(child);
      } else {
        const child = source.add(items.length, -1);
        items.push(this.value(child, this.pos, blockIndent, depth + 1, true));
        source.close(child);
      }
      this.flowSpace(blockIndent);
      const c = text[this.pos];
      if (c === close) {
        this.pos++;
        return isMapping ? mapping : items;
      }
      if (c !== ',') throw new OutsideSubset();
      this.pos++;
      this.flowSpace(blockIndent);
      // A trailing comma is left to the yaml package.
      if (text[this.pos] === close) throw new OutsideSubset();
    }
  }

  /**
   * Past spaces, comments and line breaks inside a flow collection. A line inside it must be
   * indented more than the block around it.
   */
  private flowSpace(blockIndent: number): void {
    const { text } = this;
    for (;;) {
      const c = text[this.pos];
      if (c === ' ') this.pos++;
      else if (c === '#') {
        const before = text[this.pos - 1];
        if (before !== ' ' && before !== '\n') throw new OutsideSubset();
        const end = text.indexOf('\n', this.pos);
        this.pos = end < 0 ? text.length : end;
      } else if (c === '\n') {
        this.pos++;
        let i = this.pos;
        while (text.charCodeAt(i) === 32) i++;
        if (i - this.pos <= blockIndent && text[i] !== '\n') throw new OutsideSubset();
        this.pos = i;
      } else return;
    }
  }

  /** Whether a ":" followed by the character at `at` ends a plain scalar (YAML 1.2 §7.3.3 ns-plain-char). */
  private endsPlain(at: number, flow: boolean): boolean {
    const c = this.text[at];
    return c === undefined || c === ' ' || c === '\n' || (flow && FLOW_INDICATORS.has(c));
  }

  /** A plain scalar may start at `at`: not with an indicator, and "-" only before a character of its own. */
  private checkPlainStart(at: number, flow: boolean): void {
    const c = this.text[at];
    if (c === undefined) throw new OutsideSubset();
    if (c === '-') {
      const next = this.text[at + 1];
      if (next === undefined || next === ' ' || next === '\n' || (flow && FLOW_INDICATORS.has(next))) {
        throw new OutsideSubset();
      }
    } else if (INDICATORS.has(c) || c === ' ' || c === '\n') throw new OutsideSubset();
  }

  private plain(node: SourceNode, text: string): unknown {
    if (!MAYBE_NOT_TEXT.test(text)) return text;
    const value = resolvePlain(text);
    if (typeof value !== 'string') this.coerced.set(node, text);
    return value;
  }

  /** A quoted scalar on one line, starting at `start`; leaves `pos` after its closing quote. */
  private quoted(start: number): string {
    const { text } = this;
    const quote = text[start];
    let value = '';
    let run = start + 1;
    for (let i = run; ; i++) {
      const c = text[i];
      if (c === undefined || c === '\n') throw new OutsideSubset();
      if (c === quote) {
        value += text.slice(run, i);
        // '' is a quote inside a single-quoted scalar.
        if (quote === "'" && text[i + 1] === "'") {
          value += "'";
          run = ++i + 1;
          continue;
        }
        this.pos = i + 1;
        return value;
      }
      if (c === '\\' && quote === '"') {
        value += text.slice(run, i);
        const code = text[i + 1] ?? '';
        const digits = HEX_DIGITS.get(code);
        if (digits !== undefined) {
          const hex = text.slice(i + 2, i + 2 + digits);
          const point = /^[0-9a-fA-F]+$/.test(hex) && hex.length === digits ? parseInt(hex, 16) : NaN;
          if (!(point <= 0x10ffff)) throw new OutsideSubset();
          value += String.fromCodePoint(point);
          i += 1 + digits;
        } else {
          const escaped = ESCAPES.get(code);
          if (escaped === undefined) throw new OutsideSubset();
          value += escaped;
          i++;
        }
        run = i + 1;
      }
    }
  }
}

/** The end of `text` before `end` without its trailing spaces. */
function trimEnd(text: string, end: number): number {
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return end;
}
