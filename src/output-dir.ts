/**
 * A directory that mxplan owns and replaces as a whole: the zone set of `mxplan zones`, and the
 * same for any other generated set of files.
 *
 * - Owned: every file in it carries `mark` near its top (or, for a format with no room for a
 *   comment, passes the mark's own test). Anything else in it (a file mxplan did not write, a
 *   subdirectory) stops the run before anything changes, so pointing the output at a server's own
 *   directory loses nothing.
 * - Whole: a new set is written to a sibling staging directory and renamed into place, so an
 *   interrupted run leaves the old set or the new one, never a mix. Between the two renames the
 *   directory is briefly absent (Node has no atomic directory exchange); the old set is moved
 *   back if the second rename fails, or by the next run if the process died in between. Files
 *   are not fsynced: an interrupted process is covered, a power cut right after a run is not.
 * - The sibling work directories carry their run's pid (`.<dir>.tmp-<pid>-<hex>`,
 *   `.<dir>.old-<pid>-<hex>`): a later run cleans up after runs whose process is gone and leaves
 *   those of a live run alone.
 * - Flat by default (the zones). A `nested` set names files by relative path ("mail1/postfix/main.cf")
 *   and is replaced as one tree, every file in it marked. A `private` set is readable by its owner
 *   only (it may hold password hashes): directories 0700, files 0600.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { ResourceError } from './errors.js';
import { inParallel } from './parallel.js';
import { isAlive } from './process-alive.js';

/** How far into a file its mark may sit. */
const MARK_WINDOW = 512;
/** Files read or written at once: thousands of zones, few descriptors. */
const FILES_AT_ONCE = 64;

/**
 * How mxplan knows its own files: a text near the top of each, or a test of the name and text,
 * for formats that cannot hold a comment (an MTA-STS policy, RFC 8461 §3.2).
 */
export type Mark = string | ((name: string, text: string) => boolean);

export interface OwnedDirectoryOptions {
  /** Files in subdirectories, named by relative path with "/" (default: files at the top only). */
  readonly nested?: boolean;
  /** Written for the owner only: directories 0700, files 0600. */
  readonly private?: boolean;
}

export interface ReplaceResult {
  /** False when the directory already held exactly these files. */
  readonly written: boolean;
  /** Files of the old set that the new one does not have, sorted. */
  readonly removed: readonly string[];
}

/**
 * The files of an owned directory by name, or undefined when there is none, after cleaning up
 * what an interrupted run left beside it. Throws when the path is not a directory or holds
 * anything without `mark`.
 */
export async function readOwnedDirectory(
  dir: string,
  mark: Mark,
  options: OwnedDirectoryOptions = {},
): Promise<Map<string, string> | undefined> {
  await recoverInterruptedRun(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ResourceError(`cannot use ${dir} as the output directory (${code ?? String(cause)})`, { cause });
  }
  const files = new Map<string, string>();
  const foreign: string[] = [];
  const visit = async (name: string): Promise<void> => {
    const path = join(dir, name);
    const stats = await stat(path);
    if (stats.isDirectory() && options.nested) {
      const inside = await readdir(path);
      // An empty directory is none of mxplan's: it writes directories only to hold files.
      if (inside.length === 0) return void foreign.push(`${name}/`);
      await inParallel(inside, FILES_AT_ONCE, (child) => visit(posix.join(name, child)));
      return;
    }
    if (!stats.isFile()) return void foreign.push(name);
    const text = await readFile(path, 'utf8');
    if (!isMarked(name, text, mark)) return void foreign.push(name);
    files.set(name, text);
  };
  await inParallel(names, FILES_AT_ONCE, visit);
  if (foreign.length > 0) {
    foreign.sort();
    const listed = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    throw new ResourceError(
      `${dir} holds files mxplan did not write (${listed}); mxplan replaces its output directory as a whole, so give an empty or new directory`,
    );
  }
  return files;
}

/**
 * Makes `dir` hold exactly `files` (name to text), replacing it as a whole, unless `existing`
 * (what readOwnedDirectory returned) already is exactly that set.
 */
export async function replaceOwnedDirectory(
  dir: string,
  files: ReadonlyMap<string, string>,
  existing: ReadonlyMap<string, string> | undefined,
  mark: Mark,
  options: OwnedDirectoryOptions = {},
): Promise<ReplaceResult> {
  for (const [name, text] of files) {
    // The next run would refuse a file without the mark as foreign.
    if (!isMarked(name, text, mark)) throw new Error(`output-dir: ${name} does not carry the mark`);
    if (!options.nested && name.includes('/')) throw new Error(`output-dir: ${name} is not a flat file name`);
  }
  const removed = existing ? [...existing.keys()].filter((name) => !files.has(name)).sort() : [];
  const unchanged =
    existing !== undefined && removed.length === 0 && [...files].every(([name, text]) => existing.get(name) === text);
  if (!unchanged) await replaceDirectory(dir, files, options.private === true);
  return { written: !unchanged, removed };
}

function isMarked(name: string, text: string, mark: Mark): boolean {
  return typeof mark === 'string' ? text.slice(0, MARK_WINDOW).includes(mark) : mark(name, text);
}

function workDirectory(dir: string, kind: 'tmp' | 'old', suffix: string): string {
  return join(dirname(dir), `.${basename(dir)}.${kind}-${suffix}`);
}

/**
 * Cleans up after a run that was killed: its staging directory is deleted, and if it died between
 * its two renames (`dir` missing, the old set set aside) the old set is put back, so what was
 * there before (zone serials, say) carries on. Directories of a run still alive are left alone.
 */
async function recoverInterruptedRun(dir: string): Promise<void> {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(dir))}\\.(tmp|old)-(\\d+)-[0-9a-f]+$`);
  let names: string[];
  try {
    names = await readdir(dirname(dir));
  } catch {
    return; // no parent yet: nothing to recover
  }
  let dirExists = names.includes(basename(dir));
  for (const name of names.sort()) {
    const match = pattern.exec(name);
    if (!match || isAlive(Number(match[2]))) continue;
    const path = join(dirname(dir), name);
    if (match[1] === 'old' && !dirExists) {
      await rename(path, dir);
      dirExists = true;
    } else {
      await rm(path, { recursive: true, force: true });
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes the files into a fresh sibling directory, then renames it over `dir`. */
async function replaceDirectory(dir: string, files: ReadonlyMap<string, string>, owner: boolean): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = workDirectory(dir, 'tmp', suffix);
  const retired = workDirectory(dir, 'old', suffix);
  const dirMode = owner ? 0o700 : 0o777;
  const fileMode = owner ? 0o600 : 0o666;
  await mkdir(staging, { mode: dirMode });
  try {
    const subdirectories = new Set([...files.keys()].map((name) => posix.dirname(name)).filter((d) => d !== '.'));
    for (const sub of [...subdirectories].sort()) await mkdir(join(staging, sub), { recursive: true, mode: dirMode });
    await inParallel([...files], FILES_AT_ONCE, ([name, text]) =>
      writeFile(join(staging, name), text, { flag: 'wx', mode: fileMode }),
    );
    const hadOld = await rename(dir, retired).then(
      () => true,
      (cause: NodeJS.ErrnoException) => {
        if (cause.code === 'ENOENT') return false;
        throw new ResourceError(`cannot replace ${dir} (${cause.code ?? cause})`, { cause });
      },
    );
    try {
      await rename(staging, dir);
    } catch (cause) {
      if (hadOld) await rename(retired, dir);
      throw new ResourceError(
        `cannot move the new files into ${dir} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
        { cause },
      );
    }
    if (hadOld) await rm(retired, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
