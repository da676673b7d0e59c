/**
 * Reading a topology: YAML or JSON (JSON is YAML), with the position of every node, shape
 * checked against the schema, CSV user lists read beside it, then normalized into a Plan.
 *
 * Problems in the file are returned as findings (with file:line:col), never thrown; only a
 * file that cannot be read at all throws a ResourceError.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Finding } from '../diagnostics.js';
import { ResourceError } from '../errors.js';
import { parseUsersCsv, type UserRow } from './csv.js';
import { normalize, type RawTopology } from './normalize.js';
import { validateShape } from './schema.js';
import { pointer, SourceMap } from './source-map.js';
import type { Plan } from './types.js';

export interface LoadResult {
  /** Undefined when the file could not be parsed or does not have the documented shape. */
  readonly plan: Plan | undefined;
  readonly findings: readonly Finding[];
}

/** The name findings give a topology read from standard input. */
export const STDIN_NAME = '<stdin>';

/** `file` `-` reads standard input; the users files it names are then relative to the working directory. */
export async function loadPlan(file: string): Promise<LoadResult> {
  const stdin = file === '-';
  let text: string;
  try {
    text = stdin ? await readStdin() : await readFile(file, 'utf8');
  } catch (cause) {
    const where = stdin ? 'from standard input' : file;
    const why = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ResourceError(`cannot read topology ${where}: ${why}`, { cause });
  }
  const dir = stdin ? process.cwd() : dirname(file);
  return parsePlan(text, stdin ? STDIN_NAME : file, (name) => readFile(resolve(dir, name), 'utf8'));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses topology text; `readSibling` reads files it references (users CSV). */
export async function parsePlan(
  text: string,
  file: string,
  readSibling: (name: string) => Promise<string>,
): Promise<LoadResult> {
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares every pair of keys (quadratic in 10k domains);
  // the source map finds duplicates in one pass instead.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const source = SourceMap.fromDocument(file, doc, lines);

  const syntax: Finding[] = [...doc.errors, ...doc.warnings].map((e) => {
    const [line, column] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
    return {
      rule: 'topology-syntax',
      severity: 'error',
      message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      location: { file, line, column, path: '' },
    };
  });
  for (const duplicate of source.duplicateKeys) {
    syntax.push({
      rule: 'topology-syntax',
      severity: 'error',
      message: `duplicate key "${duplicate.key}": a key may appear once in a mapping`,
      fix: 'Merge the two entries or remove one.',
      location: duplicate.at,
    });
  }
  if (syntax.length > 0) return { plan: undefined, findings: syntax };

  const document = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  const shape = validateShape(document, source);
  if (shape.length > 0) return { plan: undefined, findings: shape };

  const raw = document as RawTopology;
  const csv: Finding[] = [];
  const usersFiles = new Map<string, { file: string; rows: UserRow[] }>();
  // Read every users file concurrently (10k domains means 10k files), then parse in order.
  const withFiles = Object.entries(raw.domains).filter(([, spec]) => spec?.usersFile);
  const texts = await Promise.allSettled(withFiles.map(([, spec]) => readSibling(spec!.usersFile!)));
  withFiles.forEach(([domain, spec], i) => {
    const name = spec!.usersFile!;
    const read = texts[i]!;
    if (read.status === 'rejected') {
      const cause = read.reason as NodeJS.ErrnoException;
      csv.push({
        rule: 'users-csv',
        severity: 'error',
        message: `domain ${domain}: cannot read users file ${name} (${cause?.code ?? cause})`,
        fix: 'Give a path relative to the topology file.',
        location: source.at(pointer('domains', domain, 'usersFile')),
      });
      return;
    }
    const { rows, findings } = parseUsersCsv(read.value, resolve(dirname(file), name));
    csv.push(...findings);
    usersFiles.set(domain, { file: resolve(dirname(file), name), rows });
  });

  const plan = normalize(raw, source, usersFiles);
  return { plan, findings: csv };
}
