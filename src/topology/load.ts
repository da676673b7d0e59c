/**
 * Reading a topology: YAML or JSON (JSON is YAML), with the position of every node, shape
 * checked against the schema, CSV user lists read beside it, then normalized into a Plan.
 *
 * Problems in the file are returned as findings (with file:line:col), never thrown; only a
 * file that cannot be read at all throws a ResourceError.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Finding } from '../diagnostics.js';
import { ResourceError } from '../errors.js';
import { parseUsersCsv, type UsersTable } from './csv.js';
import { decodeText } from './decode.js';
import { keyFileOf, keyPathOf, selectorSources, type KeyFileRead } from './dkim.js';
import { parseYaml, SYNTAX_RULE } from './document.js';
import { canonicalName } from './names.js';
import { normalize, type RawTopology, type Siblings } from './normalize.js';
import type { ParsedYaml } from './parsed-yaml.js';
import { repair, type UncheckedParts } from './partial.js';
import { nameOf, validateShape, type ShapeContext } from './schema.js';
import { pointer } from './source-map.js';
import type { Plan } from './types.js';

export interface LoadResult {
  /** Undefined when the file could not be parsed or does not have the documented shape. */
  readonly plan: Plan | undefined;
  /**
   * When the shape fails in places: the plan of the parts that pass, for lint alone (nothing may
   * be published from it). Lint's findings that `unchecked` covers echo a shape error: drop them.
   */
  readonly partial?: { readonly plan: Plan; readonly unchecked: UncheckedParts };
  readonly findings: readonly Finding[];
}

/**
 * A file the topology names (a users CSV, a DKIM key), read beside it: its bytes, and its
 * permission bits where the file system keeps POSIX modes (DKIM keys must be private to their owner).
 */
export interface SiblingFile {
  readonly bytes: string | Uint8Array;
  readonly mode?: number;
}

export type SiblingRead = string | Uint8Array | SiblingFile;

/** Reads a file the topology names, by the name it gives (relative to the topology's directory). */
export type ReadSibling = (name: string) => SiblingRead | Promise<SiblingRead>;

/** The name findings give a topology read from standard input. */
export const STDIN_NAME = '<stdin>';

/** `file` `-` reads standard input; the users files it names are then relative to the working directory. */
export async function loadPlan(file: string): Promise<LoadResult> {
  const stdin = file === '-';
  let bytes: Uint8Array;
  try {
    bytes = stdin ? await readStdin() : await readFile(file);
  } catch (cause) {
    const where = stdin ? 'from standard input' : file;
    const why = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ResourceError(`cannot read topology ${where}: ${why}`, { cause });
  }
  const dir = stdin ? process.cwd() : dirname(file);
  return parsePlan(bytes, stdin ? STDIN_NAME : file, (name) => readWithMode(resolve(dir, name)));
}

/**
 * One open: the bytes and the mode of the same file (Windows keeps no POSIX modes: none is given).
 * Synchronous: for 10,000 users files, the thread pool's round trips and promises cost ten times
 * the reads themselves (bench/lint.mjs).
 */
function readWithMode(path: string): SiblingFile {
  const fd = openSync(path, 'r');
  try {
    const bytes = readFileSync(fd);
    return process.platform === 'win32' ? { bytes } : { bytes, mode: fstatSync(fd).mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

/** Standard input as bytes: decoding (and "not UTF-8 at byte N") is parsePlan's, as for a file. */
async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses topology text (or its bytes); `readSibling` reads files it references (users CSVs, DKIM keys). */
export async function parsePlan(
  input: string | Uint8Array,
  file: string,
  readSibling: ReadSibling,
): Promise<LoadResult> {
  const decoded = decodeText(input, file, SYNTAX_RULE);
  if ('finding' in decoded) return { plan: undefined, findings: [decoded.finding] };
  const parsed = parseYaml(decoded.text, file);
  if (parsed.value === undefined) return { plan: undefined, findings: parsed.findings };

  const context = shapeContext(parsed);
  const shape = validateShape(parsed.value, context);
  if (shape.length === 0 && parsed.repeatedKeys.length === 0) {
    const raw = parsed.value as RawTopology;
    const { siblings, findings } = await readSiblings(raw, parsed, readSibling);
    return { plan: normalize(raw, parsed.source, siblings), findings: [...parsed.findings, ...findings] };
  }

  const findings = [...parsed.findings, ...shape.map((p) => p.finding)];
  const fixed = repair(
    parsed.value,
    file,
    (doc) => validateShape(doc, context).map((p) => p.error),
    parsed.repeatedKeys,
  );
  if (fixed.document === undefined) return { plan: undefined, findings: [...noteChecksNotRun(findings)] };
  const raw = fixed.document as RawTopology;
  const read = await readSiblings(raw, parsed, readSibling);
  const plan = normalize(raw, parsed.source, read.siblings, fixed);
  return { plan: undefined, partial: { plan, unchecked: fixed.unchecked }, findings: [...findings, ...read.findings] };
}

/** The users CSVs and the DKIM key files, read side by side. */
async function readSiblings(
  raw: RawTopology,
  parsed: ParsedYaml,
  readSibling: ReadSibling,
): Promise<{ siblings: Siblings; findings: Finding[] }> {
  const [users, keyFiles] = await Promise.all([
    readUsersFiles(raw, parsed, readSibling),
    readKeyFiles(raw, parsed, readSibling),
  ]);
  return { siblings: { usersFiles: users.usersFiles, keyFiles }, findings: users.findings };
}

/**
 * Every DKIM key file the selectors name, each read once however many selectors share it. Nothing
 * here judges a key: a file that is missing or unreadable is kept as such, and lint says so
 * (dkim-key-valid) at the selector's line.
 */
async function readKeyFiles(
  raw: RawTopology,
  parsed: ParsedYaml,
  readSibling: ReadSibling,
): Promise<Map<string, KeyFileRead>> {
  const base = dirname(parsed.source.file);
  const paths = new Map<string, string>();
  for (const [display, spec] of Object.entries(raw.domains)) {
    const domain = canonicalName(display);
    for (const { raw: selector } of selectorSources(display, spec, raw.defaults?.dkim)) {
      const keyPath = keyPathOf(selector.key, domain, selector.selector.toLowerCase());
      paths.set(keyFileOf(base, keyPath), keyPath);
    }
  }
  const entries = [...paths];
  const reads = await Promise.allSettled(entries.map(async ([, keyPath]) => readSibling(keyPath)));
  return new Map(
    entries.map(([file], i): [string, KeyFileRead] => {
      const read = reads[i]!;
      if (read.status === 'rejected') {
        const cause = read.reason as NodeJS.ErrnoException | undefined;
        return [file, { error: cause?.code ?? String(cause) }];
      }
      const { bytes, mode } = siblingFile(read.value);
      return [file, { bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes, mode }];
    }),
  );
}

function siblingFile(read: SiblingRead): SiblingFile {
  return typeof read === 'string' || read instanceof Uint8Array ? { bytes: read } : read;
}

/** Without its skeleton (version, dns with its SOA, hosts, domains) no part can be checked: the first finding says so. */
function* noteChecksNotRun(findings: readonly Finding[]): Generator<Finding> {
  const note =
    "The plan's other checks did not run: they need version, dns (with its soa), hosts and domains in shape.";
  for (const [i, finding] of findings.entries()) {
    yield i > 0 ? finding : { ...finding, fix: finding.fix ? `${finding.fix} ${note}` : note };
  }
}

function shapeContext(parsed: ParsedYaml): ShapeContext {
  return {
    at: (p) => parsed.source.at(p),
    keyAt: (p) => parsed.source.keyAt(p),
    name: (p) => nameOf(p, parsed.value),
    plainText: (p) => parsed.plainText(p),
  };
}

/** Reads and parses the users files one by one, in the order of the domains (and of their findings). */
async function readUsersFiles(
  raw: RawTopology,
  parsed: ParsedYaml,
  readSibling: ReadSibling,
): Promise<{ usersFiles: Map<string, UsersTable>; findings: Finding[] }> {
  const findings: Finding[] = [];
  const usersFiles = new Map<string, UsersTable>();
  const base = dirname(parsed.source.file);
  for (const [domain, spec] of Object.entries(raw.domains)) {
    const name = spec?.usersFile;
    if (!name) continue;
    const file = resolve(base, name);
    let read: SiblingRead;
    try {
      read = await readSibling(name);
    } catch (cause) {
      findings.push({
        rule: 'users-csv',
        severity: 'error',
        message: `domain ${domain}: cannot read users file ${name} (${(cause as NodeJS.ErrnoException)?.code ?? String(cause)})`,
        fix: 'Give a path relative to the topology file.',
        location: parsed.source.at(pointer('domains', domain, 'usersFile')),
      });
      continue;
    }
    const decoded = decodeText(siblingFile(read).bytes, file, 'users-csv');
    if ('finding' in decoded) {
      findings.push(decoded.finding);
      continue;
    }
    const csv = parseUsersCsv(decoded.text, file);
    findings.push(...csv.findings);
    usersFiles.set(domain, csv.table);
  }
  return { usersFiles, findings };
}
