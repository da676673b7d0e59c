/**
 * Shape validation against schemas/topology.schema.json (JSON Schema 2020-12, ajv).
 * The schema says what the file looks like; lint rules say whether the plan makes sense.
 *
 * A finding names the innermost field that fails and what it must be
 * ("domain acme.example: mx[1].preference must be an integer, not text"), never echoes a whole
 * value, and offers "did you mean" for keys and enumerations.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Finding, SourceLocation } from '../diagnostics.js';
import { closest } from './did-you-mean.js';
import { escapePointer, segmentsOf } from './source-map.js';

export const SCHEMA_URL = new URL('../../schemas/topology.schema.json', import.meta.url);

const RULE = 'topology-schema';

let compiled: { topology: ValidateFunction; user: ValidateFunction } | undefined;

function validators(): { topology: ValidateFunction; user: ValidateFunction } {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as { $id: string };
    // verbose: errors carry their parentSchema, which lists the keys allowed where a key is unknown.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
    const topology = ajv.compile(schema);
    // A users CSV row is checked against the very definition a YAML user is.
    const user = ajv.getSchema(`${schema.$id}#/$defs/user`)!;
    compiled = { topology, user };
  }
  return compiled;
}

/** Where the values of a document were written, and how to name them, for findings. */
export interface ShapeContext {
  at(pointer: string): SourceLocation;
  keyAt(pointer: string): SourceLocation;
  /** "domain acme.example: mx[1].preference" for "/domains/acme.example/mx/1/preference". */
  name(pointer: string): string;
  /** The text of a plain scalar YAML read as a number, boolean or null (see document.ts). */
  plainText(pointer: string): string | undefined;
}

export interface ShapeProblem {
  readonly error: ErrorObject;
  readonly finding: Finding;
}

/** The topology's shape problems, one per cause, with the error each finding came from. */
export function validateShape(document: unknown, context: ShapeContext): ShapeProblem[] {
  const { topology } = validators();
  return topology(document) ? [] : problemsOf(topology.errors ?? [], context);
}

/** A users CSV row as the YAML form `{ host, quota }`, checked by the same definition. */
export function validateUserRow(row: { host: string; quota?: string }, context: ShapeContext): Finding[] {
  const { user } = validators();
  return user(row) ? [] : problemsOf(user.errors ?? [], context).map((p) => p.finding);
}

function problemsOf(errors: readonly ErrorObject[], context: ShapeContext): ShapeProblem[] {
  const seen = new Set<string>();
  const problems: ShapeProblem[] = [];
  for (const error of dropMisspeltRequired(dropOneOfNoise(errors.filter((e) => e.propertyName === undefined)))) {
    const finding = toFinding(error, context);
    const key = `${finding.location.path}\0${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ error, finding });
  }
  return problems;
}

// An error inside `propertyNames` carries the `propertyName` it is about, and repeats the
// propertyNames error itself, which names the key and the rule: the detail is dropped (above).

/**
 * Every `oneOf` of the schema is the whole definition of its value, so the errors at or below its
 * instance path are its branches' complaints. When some lie below the value, a branch matched the
 * value's type (a list, a mapping) and its complaints are the useful ones: keep them, drop the
 * other branches' type mismatches and the summary. When all lie at the value, keep the ones that
 * are not type mismatches ("is not a size" from the string branch), else only the summary.
 */
function dropOneOfNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  // Innermost first, so an outer oneOf sees what an inner one kept.
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf').sort((a, b) => depth(b) - depth(a));
  for (const oneOf of oneOfs) {
    const path = oneOf.instancePath;
    const branches = errors.filter((e) => e !== oneOf && !dropped.has(e) && within(e.instancePath, path));
    const below = branches.filter((e) => e.instancePath !== path);
    const at = branches.filter((e) => e.instancePath === path);
    const useful = at.filter((e) => e.keyword !== 'type');
    if (below.length > 0) for (const e of [oneOf, ...at]) dropped.add(e);
    else if (useful.length > 0) for (const e of [oneOf, ...at.filter((e) => e.keyword === 'type')]) dropped.add(e);
    else for (const e of at) dropped.add(e);
  }
  return errors.filter((e) => !dropped.has(e));
}

function within(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

function depth(error: ErrorObject): number {
  return error.instancePath.split('/').length;
}

/** A misspelt key also leaves the real key missing: report the spelling, not both. */
function dropMisspeltRequired(errors: readonly ErrorObject[]): ErrorObject[] {
  const hinted = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const hint = closest(String(e.params.additionalProperty), allowedKeys(e));
    if (hint) hinted.add(`${e.instancePath}\0${hint}`);
  }
  return errors.filter(
    (e) => !(e.keyword === 'required' && hinted.has(`${e.instancePath}\0${String(e.params.missingProperty)}`)),
  );
}

function allowedKeys(error: ErrorObject): string[] {
  return Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
}

function toFinding(error: ErrorObject, context: ShapeContext): Finding {
  const path = error.instancePath;
  const field = context.name(path);
  const base = { rule: RULE, severity: 'error' as const };
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const allowed = allowedKeys(error);
      const hint = closest(key, allowed);
      return {
        ...base,
        message: `${field}: unknown key "${short(key)}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        fix: allowed.length ? `Allowed keys here: ${allowed.join(', ')}.` : 'Remove the key.',
        location: context.keyAt(`${path}/${escapePointer(key)}`),
      };
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      return {
        ...base,
        message: `${field}: missing required key "${key}"`,
        fix: `Add "${key}".`,
        location: context.at(path),
      };
    }
    case 'propertyNames': {
      const key = String(error.params.propertyName);
      const rule = (error.schema as { description?: string } | undefined)?.description;
      return {
        ...base,
        message: `${field}: "${short(key)}" is not a valid key here${rule ? ` (${rule})` : ''}`,
        fix: 'Rename the key.',
        location: context.keyAt(`${path}/${escapePointer(key)}`),
      };
    }
    case 'type':
    case 'oneOf': {
      const wanted = error.keyword === 'type' ? [String(error.params.type)] : branchTypes(error);
      return {
        ...base,
        message: `${field} must be ${listOr(wanted.map(typeName))}, not ${kindOf(error.data)}${coercionHint(wanted, error.data, path, context)}`,
        location: context.at(path),
      };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const value = scalarText(error.data);
      const hint = value === undefined ? undefined : enumHint(value, allowed, error.parentSchema);
      return {
        ...base,
        message:
          value === undefined
            ? `${field} must be one of ${allowed.join(', ')}, not ${kindOf(error.data)}`
            : `${field} "${short(value)}" is not one of ${allowed.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        location: context.at(path),
      };
    }
    case 'const':
      return {
        ...base,
        message: `${field} must be ${JSON.stringify(error.params.allowedValue)}`,
        location: context.at(path),
      };
    case 'pattern':
      return {
        ...base,
        message: `${field} "${short(String(error.data))}" ${patternMeaning(String(error.params.pattern))}`,
        location: context.at(path),
      };
    case 'minimum':
    case 'maximum':
      return {
        ...base,
        message: `${field} must be at ${error.keyword === 'minimum' ? 'least' : 'most'} ${String(error.params.limit)}`,
        location: context.at(path),
      };
    case 'minLength':
      return { ...base, message: `${field} must not be empty`, location: context.at(path) };
    case 'minItems':
      return {
        ...base,
        message: `${field} must list at least ${String(error.params.limit)}`,
        location: context.at(path),
      };
    default:
      return { ...base, message: `${field} ${error.message ?? 'is invalid'}`, location: context.at(path) };
  }
}

function branchTypes(error: ErrorObject): string[] {
  const branches = (error.schema as { type?: string }[] | undefined) ?? [];
  return [...new Set(branches.map((b) => b.type ?? 'object'))];
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function typeName(type: string): string {
  return TYPE_NAMES[type] ?? type;
}

/** What a value is, in the user's terms, without showing it. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date'; // YAML 1.1 timestamps, under a %YAML 1.1 directive
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a number';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return 'a mapping';
  }
}

/**
 * YAML reads `007`, `1e3`, `yes`... as numbers or booleans (the core schema); where text was
 * wanted, say so and how to keep the text as written, instead of converting it behind the user's back.
 */
function coercionHint(wanted: readonly string[], value: unknown, path: string, context: ShapeContext): string {
  const text = context.plainText(path);
  if (text === undefined || !wanted.includes('string')) return '';
  const read =
    value === null
      ? 'null (no value)'
      : typeof value === 'boolean'
        ? 'a boolean'
        : value instanceof Date
          ? 'a date'
          : 'a number';
  return `: YAML reads ${short(text)} as ${read}; write "${short(text)}" in quotes to keep it as text`;
}

function enumHint(value: string, allowed: readonly string[], parentSchema: unknown): string | undefined {
  const near = closest(value, allowed);
  if (near) return near;
  // A word of the value's own description: `role: backup` meets "relay: backup MX that holds none".
  const description = (parentSchema as { description?: string } | undefined)?.description ?? '';
  const word = new RegExp(`\\b${value.replace(/[^\w-]/g, '')}\\b`, 'i');
  const matches = description
    .split(';')
    .map((clause) => /^\s*([\w-]+):\s*(.*)$/.exec(clause))
    .filter((m): m is RegExpExecArray => m !== null && allowed.includes(m[1]!) && value !== '' && word.test(m[2]!));
  return matches.length === 1 ? matches[0]![1] : undefined;
}

function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

function listOr(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** At most 40 characters of something the user wrote. */
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function patternMeaning(pattern: string): string {
  if (pattern.includes('[smhdw]')) return 'is not a duration (seconds, or a number with s, m, h, d or w)';
  if (pattern.includes('i?[bB]')) return 'is not a size (bytes, or a number with KB, MB, GB, KiB, MiB, GiB...)';
  if (pattern.includes('25[0-5]')) return 'is not an IPv4 address';
  if (pattern.includes('/\\d{1,3}')) return 'is not a network in CIDR form (192.0.2.0/24, 2001:db8::/48)';
  if (pattern.includes(':[0-9a-fA-F:.]*$')) return 'is not an IPv6 address';
  if (pattern.includes('{1,32}')) return 'is not 1 to 32 letters and digits';
  if (pattern.includes('(0[1-9]|1[0-2])')) return 'is not a day (YYYY-MM-DD)';
  if (pattern.includes('ed25519')) return 'is not rsa-<bits> (rsa-2048, rsa-3072, rsa-4096) or ed25519';
  if (pattern.includes('{0,61}')) return 'is not a selector (DNS labels of letters, digits and inner hyphens)';
  if (pattern.includes('={0,2}')) return "is not base64 (the record's p= value)";
  return `does not match ${pattern}`;
}

/**
 * Names the value at `pointer` of `document` the way findings name the user's objects:
 * "domain acme.example: mx[1].preference", "host store1: limits.storage", "dns.soa.contact".
 */
export function nameOf(pointer: string, document: unknown): string {
  const segments = segmentsOf(pointer);
  if (segments.length === 0) return 'the topology';
  let prefix = '';
  let rest = segments;
  if ((segments[0] === 'domains' || segments[0] === 'hosts') && segments.length >= 2) {
    prefix = `${segments[0] === 'domains' ? 'domain' : 'host'} ${segments[1]}`;
    rest = segments.slice(2);
    document = child(child(document, segments[0]), segments[1]!);
    if (rest.length === 0) return prefix;
    prefix += ': ';
  }
  let name = '';
  for (const segment of rest) {
    if (Array.isArray(document)) name += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) name += name === '' ? segment : `.${segment}`;
    else name += `[${JSON.stringify(segment)}]`;
    document = child(document, segment);
  }
  return prefix + name;
}

function child(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
