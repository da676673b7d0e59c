/**
 * Writing the zone set: one master file per zone plus the chosen server configurations, into a
 * directory that is replaced as a whole.
 *
 * - Serials (serial.ts): `serial` when given; otherwise a zone whose file in the directory has
 *   the same content (serial aside) keeps that file byte for byte, and a new or changed zone gets
 *   a date serial greater than its previous one.
 * - The directory is replaced as a whole (../output-dir.ts): the old set or the new one, never a
 *   mix; nothing is written when every file would stay the same; a directory holding files
 *   mxplan did not write is refused before anything changes.
 */
import { resolve } from 'node:path';
import { readOwnedDirectory, replaceOwnedDirectory } from '../output-dir.js';
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
  const existing = await readOwnedDirectory(out, GENERATED_MARK);
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

  const { written: changed, removed } = await replaceOwnedDirectory(out, files, existing, GENERATED_MARK);
  return { out, zones: written, configs: configs.map((c) => c.fileName), removed, written: changed };
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
