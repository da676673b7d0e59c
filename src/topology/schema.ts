/**
 * Shape validation against schemas/topology.schema.json (JSON Schema 2020-12, ajv).
 * The schema says what the file looks like; lint rules say whether the plan makes sense.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Finding } from '../diagnostics.js';
import { closest, didYouMean } from './did-you-mean.js';
import { escapePointer, type SourceMap } from './source-map.js';

export const SCHEMA_URL = new URL('../../schemas/topology.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    // verbose: errors carry their parentSchema, which lists the keys allowed where a key is unknown.
    compiled = new Ajv2020({ allErrors: true, verbose: true, strict: true }).compile(schema);
  }
  return compiled;
}

export function validateShape(document: unknown, source: SourceMap): Finding[] {
  const validate = validator();
  if (validate(document)) return [];
  const errors = dropMisspeltRequired(dropOneOfNoise(validate.errors ?? []));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const error of errors) {
    const finding = toFinding(error, source);
    const key = `${finding.location.path}\0${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

/**
 * A failed `oneOf` reports every branch's complaint plus its own summary. When the value had the
 * type of one branch, that branch's complaints are the useful ones ("is not a size"): keep them and
 * drop the other branches' type mismatches and the summary. Otherwise keep only the summary.
 */
function dropOneOfNoise(errors: ErrorObject[]): ErrorObject[] {
  // Errors below the value came from a branch that matched its type ($ref'd branches have
  // their own schema paths); errors at the value itself must sit under the oneOf's schema path.
  const within = (inner: ErrorObject, oneOf: ErrorObject) =>
    inner !== oneOf &&
    (inner.instancePath.startsWith(`${oneOf.instancePath}/`) ||
      (inner.instancePath === oneOf.instancePath && inner.schemaPath.startsWith(`${oneOf.schemaPath}/`)));
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  return errors.filter((e) => {
    if (e.keyword === 'oneOf') return !errors.some((o) => within(o, e) && o.keyword !== 'type');
    const parent = oneOfs.find((o) => within(e, o));
    return !(parent && e.keyword === 'type');
  });
}

/** A misspelt key also leaves the real key missing: report the spelling, not both. */
function dropMisspeltRequired(errors: ErrorObject[]): ErrorObject[] {
  const hinted = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
    const hint = closest(String(e.params.additionalProperty), allowed);
    if (hint) hinted.add(`${e.instancePath}\0${hint}`);
  }
  return errors.filter(
    (e) => !(e.keyword === 'required' && hinted.has(`${e.instancePath}\0${e.params.missingProperty}`)),
  );
}

function toFinding(error: ErrorObject, source: SourceMap): Finding {
  const path = error.instancePath;
  const where = path === '' ? 'the topology' : describe(path);
  const base = { rule: 'topology-schema', severity: 'error' as const };
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
      return {
        ...base,
        message: `${where}: unknown key "${key}"${didYouMean(key, allowed)}`,
        fix: allowed.length ? `Allowed keys here: ${allowed.join(', ')}.` : 'Remove the key.',
        location: source.keyAt(`${path}/${escapePointer(key)}`),
      };
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      return {
        ...base,
        message: `${where}: missing required key "${key}"`,
        fix: `Add "${key}".`,
        location: source.at(path),
      };
    }
    case 'enum':
      return {
        ...base,
        message: `${where}: ${JSON.stringify(error.data)} is not one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        location: source.at(path),
      };
    case 'const':
      return {
        ...base,
        message: `${where}: must be ${JSON.stringify(error.params.allowedValue)}`,
        location: source.at(path),
      };
    case 'pattern':
      return {
        ...base,
        message: `${where}: ${JSON.stringify(error.data)} ${patternMeaning(String(error.params.pattern))}`,
        location: source.at(path),
      };
    case 'oneOf':
      return {
        ...base,
        message: `${where}: ${JSON.stringify(error.data)} ${oneOfMeaning(error)}`,
        location: source.at(path),
      };
    case 'propertyNames':
      return {
        ...base,
        message: `${where}: invalid key ${JSON.stringify(error.params.propertyName)}`,
        location: source.at(path),
      };
    default:
      return { ...base, message: `${where}: ${error.message ?? 'is invalid'}`, location: source.at(path) };
  }
}

/** "/domains/acme.example/mx/0/preference" -> "domains › acme.example › mx › 0 › preference" */
function describe(path: string): string {
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join(' › ');
}

function patternMeaning(pattern: string): string {
  if (pattern.includes('[smhdw]')) return 'is not a duration (seconds, or a number with s, m, h, d or w)';
  if (pattern.includes('i?[bB]')) return 'is not a size (bytes, or a number with KB, MB, GB, KiB, MiB, GiB...)';
  if (pattern.includes('25[0-5]')) return 'is not an IPv4 address';
  if (pattern.includes('/\\d{1,3}')) return 'is not a network in CIDR form (192.0.2.0/24, 2001:db8::/48)';
  if (pattern.includes(':[0-9a-fA-F:.]*$')) return 'is not an IPv6 address';
  return `does not match ${pattern}`;
}

function oneOfMeaning(error: ErrorObject): string {
  const branches = (error.schema as { type?: string; description?: string }[]) ?? [];
  const kinds = branches.map((b) => b.type ?? 'object').join(' or ');
  return `must be ${kinds}`;
}
