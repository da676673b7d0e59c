/**
 * Reading RFC 1035 §5 master files into the record model, for `mxplan import`.
 *
 * mxplan's own reader rather than an npm one: dnsz keeps RDATA as raw text (relative names in
 * RDATA unresolved, TXT escapes undecoded) and drops lines it cannot read without a word;
 * dns-zonefile takes a single $ORIGIN per file. Here every problem stops the read with file,
 * line and column.
 *
 * Understood: $ORIGIN and $TTL (RFC 2308 §4), `@`, names relative to the origin, a blank owner
 * repeating the previous one, TTL and class in either order, TTL units (1h30m, as BIND writes
 * them), parentheses across lines, `;` comments, quoted strings with \X and \DDD escapes, TXT of
 * several character-strings. SOA, NS, MX, A, AAAA, TXT, PTR and CNAME are parsed into the record
 * model; other types keep their RDATA as text. $INCLUDE and $GENERATE are refused.
 */
import { MxplanError } from '../errors.js';
import { canonicalIP, familyOf } from '../topology/ip.js';
import type { OtherRecord, ServedRecord } from './records.js';
import { MAX_CHARACTER_STRING } from './txt.js';

/** A zone file mxplan cannot read: exit 2, with the place. */
export class ZoneFileError extends MxplanError {}

export interface ParsedRecord {
  readonly record: ServedRecord;
  /** 1-based line where the record starts. */
  readonly line: number;
}

export interface ParsedZone {
  readonly file: string;
  /** The origin in force at the first record (from $ORIGIN, or the one given). */
  readonly origin: string;
  /** Whether records came before any $ORIGIN, so the origin given was the one in force. */
  readonly givenOriginUsed: boolean;
  readonly records: readonly ParsedRecord[];
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
}

interface Entry {
  readonly tokens: Token[];
  /** The line began with a blank: the owner is the previous record's (RFC 1035 §5.1). */
  readonly blankOwner: boolean;
  readonly line: number;
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const TTL_PATTERN = /^(\d+[smhdw]?)+$/i;

/**
 * Parses a master file. `origin` is the origin before any $ORIGIN (the zone's name, as a server's
 * configuration gives it); a relative name with no origin is an error.
 */
export function parseZoneFile(text: string, file: string, options: { origin?: string } = {}): ParsedZone {
  // The origin given is a zone name, absolute with or without its dot.
  let origin = options.origin?.replace(/\.$/, '').toLowerCase();
  let firstOrigin: string | undefined;
  let sawOrigin = false;
  let givenOriginUsed = false;
  let defaultTtl: number | undefined;
  let lastTtl: number | undefined;
  let previousOwner: string | undefined;
  const records: ParsedRecord[] = [];
  const fail = (token: { line: number; column: number }, message: string): never => {
    throw new ZoneFileError(`${file}:${token.line}:${token.column}: ${message}`);
  };

  for (const entry of entries(text, file)) {
    const tokens = [...entry.tokens];
    const first = tokens[0]!;
    if (!first.quoted && first.text.startsWith('$') && !entry.blankOwner) {
      const directive = first.text.toUpperCase();
      const arg = tokens[1];
      if (directive === '$ORIGIN') {
        if (!arg) fail(first, '$ORIGIN needs a domain name');
        origin = absolute(arg!.text, origin, file, arg!.line, arg!.column);
        sawOrigin = true;
      } else if (directive === '$TTL') {
        if (!arg) fail(first, '$TTL needs a TTL');
        defaultTtl = ttlOf(arg!, fail);
      } else {
        fail(first, `${first.text} is not supported: give the records it stands for`);
      }
      continue;
    }

    let owner: string;
    if (entry.blankOwner) {
      if (previousOwner === undefined) fail(first, 'the first record has no owner name');
      owner = previousOwner!;
    } else {
      const token = tokens.shift()!;
      owner =
        token.text === '@'
          ? requireOrigin(origin, token, fail)
          : absolute(token.text, origin, file, token.line, token.column);
    }
    previousOwner = owner;
    firstOrigin ??= origin;
    if (!sawOrigin && options.origin !== undefined) givenOriginUsed = true;

    let ttl: number | undefined;
    let type: Token | undefined;
    // RFC 1035 §5.1: [<TTL>] [<class>] <type> or [<class>] [<TTL>] <type>.
    while (tokens.length > 0 && !type) {
      const token = tokens.shift()!;
      if (!token.quoted && TTL_PATTERN.test(token.text) && ttl === undefined) ttl = ttlOf(token, fail);
      else if (!token.quoted && CLASSES.has(token.text.toUpperCase())) {
        if (token.text.toUpperCase() !== 'IN')
          fail(token, `class ${token.text} is not IN: mxplan reads Internet zones`);
      } else type = token;
    }
    if (!type) fail(first, 'the record has no type');
    if (ttl !== undefined) lastTtl = ttl;
    // RFC 2308 §4: $TTL for records without one; before it, the last TTL given (RFC 1035 §5.1).
    const recordTtl = ttl ?? defaultTtl ?? lastTtl;
    if (recordTtl === undefined) fail(type!, 'the record has no TTL and no $TTL is in force');
    records.push({
      record: rdata(owner, type!, recordTtl!, tokens, origin, file, fail),
      line: entry.line,
    });
  }
  if (records.length === 0) throw new ZoneFileError(`${file}: holds no records`);
  return { file, origin: firstOrigin ?? records[0]!.record.name, givenOriginUsed, records };
}

function requireOrigin(origin: string | undefined, token: Token, fail: (t: Token, m: string) => never): string {
  if (origin === undefined) fail(token, '"@" with no origin: add $ORIGIN, or give the zone name');
  return origin;
}

/** A name made absolute against the origin, canonical (lowercase, no trailing dot; the root ""). */
function absolute(text: string, origin: string | undefined, file: string, line: number, column: number): string {
  if (text === '.') return '';
  if (text.endsWith('.') && !text.endsWith('\\.')) return text.slice(0, -1).toLowerCase();
  if (text === '@' && origin !== undefined) return origin;
  if (origin === undefined)
    throw new ZoneFileError(
      `${file}:${line}:${column}: relative name "${text}" with no origin: add $ORIGIN, or give the zone name`,
    );
  return (origin === '' ? text : `${text}.${origin}`).toLowerCase();
}

function ttlOf(token: Token, fail: (t: Token, m: string) => never): number {
  if (!TTL_PATTERN.test(token.text)) fail(token, `"${token.text}" is not a TTL`);
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let seconds = 0;
  for (const [, n, unit] of token.text.matchAll(/(\d+)([smhdw]?)/gi))
    seconds += Number(n) * units[(unit || 's').toLowerCase()]!;
  if (seconds > 2147483647) fail(token, `TTL ${token.text} is above 2147483647 (RFC 2181 §8)`);
  return seconds;
}

function rdata(
  name: string,
  typeToken: Token,
  ttl: number,
  tokens: Token[],
  origin: string | undefined,
  file: string,
  fail: (t: { line: number; column: number }, m: string) => never,
): ServedRecord {
  const type = typeToken.text.toUpperCase();
  const need = (n: number): Token[] => {
    if (tokens.length !== n)
      fail(tokens[n] ?? typeToken, `${type} takes ${n} field${n === 1 ? '' : 's'} of data, not ${tokens.length}`);
    return tokens;
  };
  const nameAt = (t: Token) =>
    t.text === '@' ? requireOrigin(origin, t, fail) : absolute(t.text, origin, file, t.line, t.column);
  const number = (t: Token, max: number, what: string) => {
    if (!/^\d+$/.test(t.text) || Number(t.text) > max) fail(t, `${what} "${t.text}" is not a number from 0 to ${max}`);
    return Number(t.text);
  };
  switch (type) {
    case 'A': {
      const [a] = need(1);
      if (familyOf(a!.text) !== 4) fail(a!, `"${a!.text}" is not an IPv4 address`);
      return { name, type, ttl, data: a!.text };
    }
    case 'AAAA': {
      const [a] = need(1);
      if (familyOf(a!.text) !== 6) fail(a!, `"${a!.text}" is not an IPv6 address`);
      return { name, type, ttl, data: canonicalIP(a!.text) };
    }
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return { name, type, ttl, data: nameAt(need(1)[0]!) };
    case 'MX': {
      const [preference, exchange] = need(2);
      return {
        name,
        type,
        ttl,
        data: { preference: number(preference!, 65535, 'preference'), exchange: nameAt(exchange!) },
      };
    }
    case 'TXT': {
      if (tokens.length === 0) fail(typeToken, 'TXT takes at least one character-string');
      for (const t of tokens) {
        if (Buffer.byteLength(t.text, 'utf8') > MAX_CHARACTER_STRING)
          fail(t, `a character-string of more than ${MAX_CHARACTER_STRING} octets (RFC 1035 §3.3)`);
      }
      return { name, type, ttl, data: tokens.map((t) => t.text) };
    }
    case 'SOA': {
      const [mname, rname, ...timers] = need(7);
      const [serial, refresh, retry, expire, minimum] = timers.map((t, i) =>
        i === 0 ? number(t, 0xffffffff, 'serial') : ttlOf(t, fail),
      ) as [number, number, number, number, number];
      return {
        name,
        type,
        ttl,
        data: { mname: nameAt(mname!), rname: nameAt(rname!), serial, refresh, retry, expire, minimum },
      };
    }
    default: {
      if (!/^[A-Z][A-Z0-9-]*$/.test(type)) fail(typeToken, `"${typeToken.text}" is not a record type`);
      const other: OtherRecord = {
        name,
        type,
        ttl,
        data: tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' '),
      };
      return other;
    }
  }
}

/** The entries of a master file: tokens grouped by line, parentheses joining lines. */
function* entries(text: string, file: string): Generator<Entry> {
  let tokens: Token[] = [];
  let blankOwner = text[0] === ' ' || text[0] === '\t';
  let entryLine = 1;
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new ZoneFileError(`${file}:${line}:${at - lineStart + 1}: ${message}`);
  };
  const end = function* (): Generator<Entry> {
    if (tokens.length > 0) yield { tokens, blankOwner, line: entryLine };
    tokens = [];
  };
  while (i <= text.length) {
    const c = text[i];
    if (c === undefined || c === '\n') {
      if (depth === 0) yield* end();
      if (c === undefined) break;
      i++;
      line++;
      lineStart = i;
      if (depth === 0) {
        entryLine = line;
        blankOwner = text[i] === ' ' || text[i] === '\t';
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      if (depth === 0) fail('")" without "("');
      depth--;
      i++;
      continue;
    }
    const start = i;
    const column = i - lineStart + 1;
    if (c === '"') {
      const octets: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length) fail('a quoted string is not closed', start);
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\n') fail('a quoted string runs past the end of the line', start);
        if (d === '\\') {
          const digits = text.slice(i + 1, i + 4);
          if (/^\d{3}$/.test(digits)) {
            if (Number(digits) > 255) fail(`\\${digits} is not an octet`);
            octets.push(Number(digits));
            i += 4;
            continue;
          }
          i++;
          if (i >= text.length) fail('a quoted string ends in "\\"', start);
        }
        const code = text.codePointAt(i)!;
        const char = String.fromCodePoint(code);
        octets.push(...Buffer.from(char, 'utf8'));
        i += char.length;
      }
      i++;
      tokens.push({ text: Buffer.from(octets).toString('utf8'), quoted: true, line, column });
      continue;
    }
    while (i < text.length && !/[\s;()"]/.test(text[i]!)) i += text[i] === '\\' ? 2 : 1;
    tokens.push({ text: text.slice(start, i), quoted: false, line, column });
  }
  if (depth > 0) fail('"(" is not closed by the end of the file');
}
