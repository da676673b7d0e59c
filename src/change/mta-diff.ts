/**
 * What `mxplan mta` writes differently for one plan and the next: per host and file, the unified
 * diff of the generated text (jsdiff's Myers line diff, in `diff -u` form: GNU patch applies it)
 * and a summary in the files' own terms, the entries each table gains, loses or changes.
 *
 * The files are the production ones (`mtaFiles` with the production paths and no password
 * hashes): what the diff compares is what a deployment installs, less the secrets, which never
 * live in the plan. The README at the top of the tree describes the tree and is not compared.
 *
 * Hosts come in id order, and files in the order `mxplan mta` writes them (postfix/ first, then
 * dovecot/, each sorted by name), so the same two plans always give the same output.
 */
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { mtaFiles } from '../mta/mta-dir.js';
import { MtaError } from '../mta/errors.js';
import type { Plan } from '../topology/types.js';

/** The lines of a unified diff hunk, with its `@@ -a,b +c,d @@` header. */
export interface Hunk {
  readonly header: string;
  /** Each line prefixed by ' ', '-' or '+'. */
  readonly lines: readonly string[];
}

/** What a file's keyed lines (a table's keys, main.cf's parameters, a passwd-file's users) do. */
export interface EntryChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface MtaFileChange {
  /** Relative to the host's directory: "postfix/transport", "dovecot/users". */
  readonly file: string;
  readonly status: 'added' | 'removed' | 'changed';
  /** Lines added and removed. */
  readonly plus: number;
  readonly minus: number;
  /** Undefined for a file without keyed lines (dovecot.conf: nested sections). */
  readonly entries: EntryChanges | undefined;
  readonly hunks: readonly Hunk[];
  /** The unified diff of the file, `--- a/<host>/<file>` / `+++ b/<host>/<file>` first. */
  readonly patch: string;
}

export interface MtaHostChange {
  readonly host: string;
  /** `added`: only the new plan has the host; `retired`: only the old one. */
  readonly status: 'added' | 'retired' | 'changed';
  readonly files: readonly MtaFileChange[];
}

export type MtaDiff =
  | { readonly available: true; readonly hosts: readonly MtaHostChange[] }
  /** One of the plans holds something Postfix or Dovecot cannot be told (`mxplan mta` refuses it). */
  | { readonly available: false; readonly reason: string };

/** The changes of every host's generated configuration; hosts whose files are equal are left out. */
export function diffMta(before: Plan, after: Plan): MtaDiff {
  let old: Map<string, Map<string, string>>;
  let now: Map<string, Map<string, string>>;
  try {
    old = byHost(mtaFiles(before).files);
    now = byHost(mtaFiles(after).files);
  } catch (error) {
    if (!(error instanceof MtaError)) throw error;
    return { available: false, reason: error.message };
  }
  const hosts: MtaHostChange[] = [];
  for (const host of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const [a, b] = [old.get(host), now.get(host)];
    const names = [...new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])])].sort(compareFiles);
    const files: MtaFileChange[] = [];
    for (const name of names) {
      const change = diffFile(host, name, a?.get(name), b?.get(name));
      if (change) files.push(change);
    }
    if (files.length > 0) hosts.push({ host, status: !a ? 'added' : !b ? 'retired' : 'changed', files });
  }
  return { available: true, hosts };
}

/** "mail1/postfix/main.cf" → host mail1, file postfix/main.cf; the tree's README is not a host's. */
function byHost(files: ReadonlyMap<string, string>): Map<string, Map<string, string>> {
  const hosts = new Map<string, Map<string, string>>();
  for (const [path, text] of files) {
    const slash = path.indexOf('/');
    if (slash < 0) continue;
    const host = path.slice(0, slash);
    if (!hosts.has(host)) hosts.set(host, new Map());
    hosts.get(host)!.set(path.slice(slash + 1), text);
  }
  return hosts;
}

/** postfix/ before dovecot/ (the MTA first, then the store behind it); by name within each. */
function compareFiles(a: string, b: string): number {
  const rank = (f: string) => (f.startsWith('postfix/') ? 0 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function diffFile(
  host: string,
  file: string,
  before: string | undefined,
  after: string | undefined,
): MtaFileChange | undefined {
  if (before === after) return undefined;
  const patch = structuredPatch(
    before === undefined ? '/dev/null' : `a/${host}/${file}`,
    after === undefined ? '/dev/null' : `b/${host}/${file}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  const hunks = patch.hunks.map((h) => ({
    header: `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`,
    lines: h.lines,
  }));
  const lines = hunks.flatMap((h) => h.lines);
  const removed = lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1));
  const added = lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1));
  return {
    file,
    status: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    plus: added.length,
    minus: removed.length,
    entries: entryChanges(file, removed, added),
    hunks,
    patch: formatPatch(patch, FILE_HEADERS_ONLY),
  };
}

/** diff -u's ranges: "start,count", the start of an empty range being the line before it. */
function range(start: number, count: number): string {
  return `${count === 0 ? start - 1 : start},${count}`;
}

/**
 * The key of one line of a generated file, or undefined for a comment or a line of no entry:
 * - main.cf: `name = value`, the parameter;
 * - master.cf: the service name and type;
 * - a lookup table: its key, up to the first blank (texthash, postmap(1));
 * - a passwd-file (Dovecot passwd, users): the user, up to the first colon; a user the passwd
 *   file lists as a comment (no hash yet) counts as listed.
 * dovecot.conf has nested sections and no entries.
 */
function keyOf(file: string): ((line: string) => string | undefined) | undefined {
  if (file === 'dovecot/dovecot.conf') return undefined;
  if (file === 'postfix/main.cf') return (line) => /^([a-z0-9_]+) =/.exec(line)?.[1];
  if (file === 'postfix/master.cf') return (line) => /^([^\s#]\S*)\s+(\S+)/.exec(line)?.slice(1, 3).join(' ');
  if (file.startsWith('dovecot/'))
    return (line) => /^([^\s#:]+):/.exec(line)?.[1] ?? /^# ([^\s:]+): no password hash yet$/.exec(line)?.[1];
  return (line) => /^([^\s#]\S*)(?:\s|$)/.exec(line)?.[1];
}

function entryChanges(file: string, removed: readonly string[], added: readonly string[]): EntryChanges | undefined {
  const key = keyOf(file);
  if (!key) return undefined;
  const keys = (lines: readonly string[]) =>
    new Map(lines.flatMap((l) => (key(l) === undefined ? [] : [[key(l)!, l] as const])));
  const [was, is] = [keys(removed), keys(added)];
  return {
    added: [...is.keys()].filter((k) => !was.has(k)),
    removed: [...was.keys()].filter((k) => !is.has(k)),
    changed: [...is.keys()].filter((k) => was.has(k) && was.get(k) !== is.get(k)),
  };
}
