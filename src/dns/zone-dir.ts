/**
 * Writing the zone set: one master file per zone plus the chosen server configurations, into a
 * directory that is replaced as a whole.
 *
 * - Serials (serial.ts): `serial` when given; otherwise a zone whose file in the directory has
 *   the same content (serial aside) keeps that file byte for byte, and a new or changed zone gets
 *   a date serial greater than its previous one.
 * - Nothing is written when every file would stay the same.
 * - Otherwise the set is written to a temporary sibling directory and renamed into place, so an
 *   interrupted run leaves the old set or the new one, never a mix. Between the two renames the
 *   directory is briefly absent (Node has no atomic directory exchange); the old set is moved
 *   back if the second rename fails, or by the next run if the process died in between. Files are
 *   not fsynced: an interrupted process is covered, a power cut right after a run is not.
 * - The directory is mxplan's: a file in it that mxplan did not write makes the run stop before
 *   anything changes, so pointing --out at a server's own directory loses nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ResourceError } from '../errors.js';
import type { Zone } from './records.js';
import { dateSerial, maskSerial, nextSerial, readSerial } from './serial.js';
import { serverConfig, type Server } from './server-config.js';
import { formatZone, GENERATED_MARK, zoneFileName } from './zone-file.js';

export interface WriteZonesOptions {
  /** The output directory. */
  readonly out: string;
  /** The SOA serial of every zone, overriding the date convention. */
  readonly serial?: number;
  /** The clock for date serials (only read for new or changed zones). */
  readonly now?: Date;
  /** Server configurations to write beside the zones. */
  readonly servers?: readonly Server[];
  /** The zone directory as the servers will see it, for their configs; default: `out`, absolute. */
  readonly zoneDirectory?: string;
  /** What the zones were generated from, for the header comments ("topology.yaml"). */
  readonly source?: string;
}

export type ZoneStatus = 'new' | 'changed' | 'unchanged';

export interface WrittenZone {
  readonly origin: string;
  readonly file: string;
  readonly serial: number;
  readonly status: ZoneStatus;
}

export interface WriteZonesResult {
  /** The directory, absolute. */
  readonly out: string;
  readonly zones: readonly WrittenZone[];
  readonly configs: readonly string[];
  /** Files of an earlier run that the plan no longer produces (zones since removed). */
  readonly removed: readonly string[];
  /** False when the directory already held exactly these files. */
  readonly written: boolean;
}

export async function writeZoneDirectory(
  zones: readonly Zone[],
  options: WriteZonesOptions,
): Promise<WriteZonesResult> {
  const out = resolve(options.out);
  await recoverInterruptedRun(out);
  const existing = await readOwnedDirectory(out);
  const now = options.now ?? new Date();
  const files = new Map<string, string>();

  const written: WrittenZone[] = zones.map((zone) => {
    const file = zoneFileName(zone.origin);
    const { text, serial, status } = zoneText(zone, existing?.get(file), options, now);
    files.set(file, text);
    return { origin: zone.origin, file, serial, status };
  });

  const configs = (options.servers ?? []).map((server) =>
    serverConfig(server, zones, zoneFileName, { zoneDirectory: options.zoneDirectory ?? out, source: options.source }),
  );
  for (const config of configs) files.set(config.fileName, config.text);

  const removed = existing ? [...existing.keys()].filter((name) => !files.has(name)).sort() : [];
  const unchanged =
    existing !== undefined && removed.length === 0 && [...files].every(([name, text]) => existing.get(name) === text);
  if (!unchanged) await replaceDirectory(out, files);
  return { out, zones: written, configs: configs.map((c) => c.fileName), removed, written: !unchanged };
}

function zoneText(
  zone: Zone,
  previous: string | undefined,
  options: WriteZonesOptions,
  now: Date,
): { text: string; serial: number; status: ZoneStatus } {
  const source = { source: options.source };
  const status: ZoneStatus = previous === undefined ? 'new' : 'changed';
  if (options.serial !== undefined) {
    const text = formatZone(withSerial(zone, options.serial), source);
    return { text, serial: options.serial, status: text === previous ? 'unchanged' : status };
  }
  const previousSerial = previous === undefined ? undefined : readSerial(previous);
  if (previous !== undefined && previousSerial !== undefined) {
    // Same content apart from the serial: keep the old file as it is.
    const draft = formatZone(withSerial(zone, previousSerial), source);
    if (maskSerial(draft) === maskSerial(previous))
      return { text: previous, serial: previousSerial, status: 'unchanged' };
  }
  const serial = nextSerial(previousSerial, dateSerial(now));
  return { text: formatZone(withSerial(zone, serial), source), serial, status };
}

/** The zone with the given serial in its SOA. */
export function withSerial(zone: Zone, serial: number): Zone {
  return {
    ...zone,
    records: zone.records.map((r) => (r.type === 'SOA' ? { ...r, data: { ...r.data, serial } } : r)),
  };
}

/**
 * The files of an existing output directory by name, or undefined when there is none. Throws
 * when the path is not a directory or holds anything mxplan did not write.
 */
async function readOwnedDirectory(out: string): Promise<Map<string, string> | undefined> {
  let names: string[];
  try {
    names = await readdir(out);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ResourceError(`cannot use ${out} as the output directory (${code ?? String(cause)})`, { cause });
  }
  const files = new Map<string, string>();
  const foreign: string[] = [];
  await inBatches(names, async (name) => {
    const path = join(out, name);
    if (!(await stat(path)).isFile()) return void foreign.push(name);
    const text = await readFile(path, 'utf8');
    if (!text.slice(0, 512).includes(GENERATED_MARK)) return void foreign.push(name);
    files.set(name, text);
  });
  if (foreign.length > 0) {
    foreign.sort();
    const listed = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    throw new ResourceError(
      `${out} holds files mxplan did not write (${listed}); mxplan replaces its output directory as a whole, so give an empty or new directory`,
    );
  }
  return files;
}

/** The sibling directories a run works in: `.<out>.tmp-<pid>-<hex>` and `.<out>.old-<pid>-<hex>`. */
function workDirectory(out: string, kind: 'tmp' | 'old', suffix: string): string {
  return join(dirname(out), `.${basename(out)}.${kind}-${suffix}`);
}

/**
 * Cleans up after a run that was killed: its staging directory is deleted, and if it died between
 * its two renames (`out` missing, the old set set aside) the old set is put back, so serials
 * continue from it. Directories of a run still alive are left alone.
 */
async function recoverInterruptedRun(out: string): Promise<void> {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(out))}\\.(tmp|old)-(\\d+)-[0-9a-f]+$`);
  let names: string[];
  try {
    names = await readdir(dirname(out));
  } catch {
    return; // no parent yet: nothing to recover
  }
  let outExists = names.includes(basename(out));
  for (const name of names.sort()) {
    const match = pattern.exec(name);
    if (!match || isAlive(Number(match[2]))) continue;
    const path = join(dirname(out), name);
    if (match[1] === 'old' && !outExists) {
      await rename(path, out);
      outExists = true;
    } else {
      await rm(path, { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes the files into a fresh sibling directory, then renames it over `out`. */
async function replaceDirectory(out: string, files: ReadonlyMap<string, string>): Promise<void> {
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = workDirectory(out, 'tmp', suffix);
  const retired = workDirectory(out, 'old', suffix);
  await mkdir(staging);
  try {
    await inBatches([...files], async ([name, text]) => writeFile(join(staging, name), text, { flag: 'wx' }));
    const hadOld = await rename(out, retired).then(
      () => true,
      (cause: NodeJS.ErrnoException) => {
        if (cause.code === 'ENOENT') return false;
        throw new ResourceError(`cannot replace ${out} (${cause.code ?? cause})`, { cause });
      },
    );
    try {
      await rename(staging, out);
    } catch (cause) {
      if (hadOld) await rename(retired, out);
      throw new ResourceError(
        `cannot move the new zones into ${out} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
        { cause },
      );
    }
    if (hadOld) await rm(retired, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Runs `task` over the items, a bounded number at a time (thousands of files, few descriptors). */
async function inBatches<T>(items: readonly T[], task: (item: T) => Promise<unknown>, size = 64): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    // Settle the whole batch before failing, so no write is still running when the caller cleans up.
    const results = await Promise.allSettled(items.slice(i, i + size).map(task));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }
}
