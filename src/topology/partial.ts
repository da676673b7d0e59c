/**
 * A topology whose shape fails in places still has parts lint can judge (DNSControl's normalize
 * likewise collects every problem instead of stopping at the first).
 *
 * Each shape error names a value. The value is removed from a copy of the document; when that
 * leaves its parent without a required key, the parent goes too, until the copy has the
 * documented shape. The part of the plan each removed value belonged to (a host, a user, an
 * alias, a domain's MX set...) is unchecked: lint's findings there would echo the shape error,
 * so they are dropped (`covers`). Normalize spreads the mark to what refers to a removed part (an
 * MX naming a removed host, an alias member in a removed domain), for the same reason.
 * Everything else is checked as usual.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Finding, SourceLocation } from '../diagnostics.js';
import { pointer, segmentsOf } from './source-map.js';

/** The parts of a plan whose findings are dropped, as topology pointers or CSV lines. */
export class UncheckedParts {
  private readonly pointers = new Set<string>();
  private readonly lines = new Set<string>();

  constructor(private readonly file: string) {}

  get size(): number {
    return this.pointers.size + this.lines.size;
  }

  /** Marks the part `at` belongs to: its unit in the topology, or its row in a users CSV. */
  add(at: SourceLocation): void {
    if (at.file === this.file) this.pointers.add(unitOf(at.path) ?? '');
    else this.lines.add(`${at.file}\0${at.line}`);
  }

  /** Whether the finding is located in, or relates to, an unchecked part. */
  covers(finding: Finding): boolean {
    return [finding.location, ...(finding.related ?? [])].some((at) => this.holds(at));
  }

  private holds(at: SourceLocation): boolean {
    if (at.file !== this.file) return this.lines.has(`${at.file}\0${at.line}`);
    for (let p = at.path; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) if (this.pointers.has(p)) return true;
    return false;
  }
}

/**
 * The unit of the plan a pointer belongs to, the smallest part lint judges as a whole: a host, a
 * domain, one user or alias, one section of a domain (its MX set, SPF, DMARC...), the SOA, the
 * name servers. Undefined for the document's skeleton, without which no plan exists.
 */
export function unitOf(path: string): string | undefined {
  const s = segmentsOf(path);
  switch (s[0]) {
    case undefined:
    case 'version':
      return undefined;
    case 'hosts':
    case 'web':
    case 'defaults':
      return s.length >= 2 ? pointer(...s.slice(0, 2)) : undefined;
    case 'domains':
      if (s.length < 2) return undefined;
      if ((s[2] === 'users' || s[2] === 'aliases') && s.length >= 4) return pointer(...s.slice(0, 4));
      return pointer(...s.slice(0, Math.min(s.length, 3)));
    case 'dns':
      return s.length >= 2 ? pointer(...s.slice(0, 2)) : undefined;
    default:
      return pointer(s[0]); // zones, lint, $schema
  }
}

/** Entities other parts refer to by name, removed with their unit. */
export interface Removed {
  /** Host ids as written. */
  readonly hosts: ReadonlySet<string>;
  /** Web host ids as written. */
  readonly web: ReadonlySet<string>;
  /** Domain keys as written. */
  readonly domains: ReadonlySet<string>;
  /** [domain key, "users" | "aliases", local part as written]. */
  readonly addresses: readonly (readonly [string, string, string])[];
}

export interface Repair {
  /** The document without the values that fail, in the documented shape; undefined when its skeleton fails. */
  readonly document: unknown;
  readonly unchecked: UncheckedParts;
  readonly removed: Removed;
}

/**
 * Removes what fails from a copy of `document`. `validate` returns the shape errors of a document,
 * one per cause (schema.ts); a handful of rounds settle any document, since each round only removes.
 */
export function repair(
  document: unknown,
  file: string,
  validate: (document: unknown) => readonly ErrorObject[],
  repeatedKeys: readonly string[],
): Repair {
  const copy = structuredClone(document);
  const unchecked = new UncheckedParts(file);
  const hosts = new Set<string>();
  const web = new Set<string>();
  const domains = new Set<string>();
  const addresses: [string, string, string][] = [];
  const removed = { hosts, web, domains, addresses };
  const mark = (path: string) => unchecked.add({ file, line: 0, column: 0, path });
  for (const path of repeatedKeys) mark(path);

  for (let round = 0; round < 16; round++) {
    const errors = validate(copy);
    if (errors.length === 0) return { document: copy, unchecked, removed };
    const targets = [...new Set(errors.map(targetOf))];
    if (targets.some((t) => unitOf(t) === undefined && !isOptionalTopLevel(t))) break;
    // Deepest first, and the higher index first within one list, so earlier removals do not move later ones.
    targets.sort((a, b) => compareForRemoval(segmentsOf(a), segmentsOf(b)));
    for (const target of targets) {
      const s = segmentsOf(target);
      if (s[0] === 'hosts' && s.length === 2) hosts.add(s[1]!);
      if (s[0] === 'web' && s.length === 2) web.add(s[1]!);
      if (s[0] === 'domains' && s.length === 2) domains.add(s[1]!);
      if (s[0] === 'domains' && s.length === 4 && (s[2] === 'users' || s[2] === 'aliases'))
        addresses.push([s[1]!, s[2], s[3]!]);
      mark(target);
      remove(copy, s);
    }
  }
  return { document: undefined, unchecked, removed };
}

/** Top-level keys a topology may leave out: removing them keeps a plan. */
function isOptionalTopLevel(path: string): boolean {
  const s = segmentsOf(path);
  return s.length === 1 && ['defaults', 'zones', 'web', 'lint', '$schema'].includes(s[0]!);
}

/** The value an error asks to remove: the value itself, an unknown key, or the object missing a key. */
function targetOf(error: ErrorObject): string {
  const path = error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${path}${pointer(String(error.params.additionalProperty))}`;
    case 'propertyNames':
      return `${path}${pointer(String(error.params.propertyName))}`;
    default:
      return path; // `required`: the object without the key goes
  }
}

function compareForRemoval(a: string[], b: string[]): number {
  if (a.length !== b.length) return b.length - a.length;
  const last = a.length - 1;
  if (a.slice(0, last).join('/') === b.slice(0, last).join('/')) return Number(b[last]) - Number(a[last]) || 0;
  return 0;
}

function remove(document: unknown, segments: string[]): void {
  let parent = document;
  for (const segment of segments.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = (parent as Record<string, unknown>)[segment];
  }
  const last = segments.at(-1)!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<string, unknown>)[last];
}
