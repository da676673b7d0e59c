/**
 * Writing the zone set: one master file per zone plus the chosen server configurations, into a
 * directory that mxplan owns and replaces as a whole (../output-dir.ts: the old set or the new
 * one, never a mix; nothing written when every file would stay the same; a directory holding
 * files mxplan did not write is refused before anything changes).
 *
 * Serials (serial.ts): a zone whose records are those of its file in the directory keeps that
 * file's serial, so regenerating changes nothing; a new or changed zone gets a date serial
 * greater than its previous one. An explicit `serial` is set on every zone, but never one that
 * would hide a change from the secondaries (below a zone's serial in the directory, or equal to
 * it on a changed zone) unless the caller allows it.
 */
import { resolve } from 'node:path';
import { MxplanError } from '../errors.js';
import { readOwnedDirectory, replaceOwnedDirectory } from '../output-dir.js';
import type { Zone } from './records.js';
import { dateSerial, maskSerial, nextSerial, readSerial, serialGreater } from './serial.js';
import { serverConfig, type Server } from './server-config.js';
import { formatZone, GENERATED_MARK, zoneFileName } from './zone-file.js';

export interface WriteZonesOptions {
  /** The output directory. */
  readonly out: string;
  /** The SOA serial of every zone, overriding the date convention. */
  readonly serial?: number;
  /**
   * Lets `serial` go below a zone's serial in the directory, or stay equal to it on a changed
   * zone; secondaries then keep their copy until the serial passes theirs (RFC 1982 §7).
   */
  readonly allowSerialDecrease?: boolean;
  /** The clock for date serials (only read for new or changed zones). */
  readonly now?: Date;
  /** Server configurations to write beside the zones. */
  readonly servers?: readonly Server[];
  /** The zone directory as the servers will see it, for their configs; default: `out`, absolute. */
  readonly zoneDirectory?: string;
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

/** A zone whose explicit serial secondaries would not take as newer than the one they have. */
export interface SerialRegression {
  readonly origin: string;
  /** The serial of the zone's file in the output directory. */
  readonly previous: number;
  /** The serial asked for. */
  readonly serial: number;
  /** Equal serials on changed records; otherwise the serial went down. */
  readonly changedAtSameSerial: boolean;
}

/** The explicit serial would lower (or not raise) zones already written: nothing was written. */
export class SerialRegressionError extends MxplanError {
  constructor(
    readonly out: string,
    readonly zones: readonly SerialRegression[],
  ) {
    const first = zones[0]!;
    const what = first.changedAtSameSerial
      ? `keeps serial ${first.serial} on changed records`
      : `would lower its serial from ${first.previous} to ${first.serial}`;
    const more = zones.length > 1 ? ` (and ${zones.length - 1} more zones)` : '';
    super(
      `zone ${first.origin} in ${out} ${what}${more}: secondaries would never transfer it (RFC 1982); nothing was written`,
    );
  }
}

export async function writeZoneDirectory(
  zones: readonly Zone[],
  options: WriteZonesOptions,
): Promise<WriteZonesResult> {
  const out = resolve(options.out);
  const existing = await readOwnedDirectory(out, GENERATED_MARK);
  const now = options.now ?? new Date();
  const files = new Map<string, string>();
  const regressions: SerialRegression[] = [];

  const written: WrittenZone[] = zones.map((zone) => {
    const file = zoneFileName(zone.origin);
    const { text, serial, status, regression } = zoneText(zone, existing?.get(file), options.serial, now);
    if (regression) regressions.push(regression);
    files.set(file, text);
    return { origin: zone.origin, file, serial, status };
  });
  if (regressions.length > 0 && options.allowSerialDecrease !== true) throw new SerialRegressionError(out, regressions);

  const configs = (options.servers ?? []).map((server) =>
    serverConfig(server, zones, zoneFileName, { zoneDirectory: options.zoneDirectory ?? out }),
  );
  for (const config of configs) files.set(config.fileName, config.text);

  const { written: changed, removed } = await replaceOwnedDirectory(out, files, existing, GENERATED_MARK);
  return { out, zones: written, configs: configs.map((c) => c.fileName), removed, written: changed };
}

interface ZoneText {
  readonly text: string;
  readonly serial: number;
  readonly status: ZoneStatus;
  readonly regression?: SerialRegression;
}

function zoneText(zone: Zone, previous: string | undefined, explicit: number | undefined, now: Date): ZoneText {
  const previousSerial = previous === undefined ? undefined : readSerial(previous);
  const sameRecords = (text: string): boolean => previous !== undefined && content(text) === content(previous);
  if (explicit !== undefined) {
    const text = formatZone(withSerial(zone, explicit));
    const kept = sameRecords(text) && explicit === previousSerial;
    const status: ZoneStatus = previous === undefined ? 'new' : kept ? 'unchanged' : 'changed';
    // RFC 1982 §3.2: a secondary transfers only a serial greater than its own.
    const hidden = previousSerial !== undefined && !kept && !serialGreater(explicit, previousSerial);
    const regression = hidden
      ? {
          origin: zone.origin,
          previous: previousSerial,
          serial: explicit,
          changedAtSameSerial: explicit === previousSerial,
        }
      : undefined;
    return { text, serial: explicit, status, regression };
  }
  if (previousSerial !== undefined) {
    // The same records as the file: keep its serial.
    const text = formatZone(withSerial(zone, previousSerial));
    if (sameRecords(text)) return { text, serial: previousSerial, status: 'unchanged' };
  }
  const serial = nextSerial(previousSerial, dateSerial(now));
  return { text: formatZone(withSerial(zone, serial)), serial, status: previous === undefined ? 'new' : 'changed' };
}

/**
 * What secondaries see of a zone file: everything but its header comment and its serial. A
 * header that changes (an older mxplan named the topology file there) never bumps a serial.
 */
function content(text: string): string {
  return maskSerial(text.replace(/^(?:;[^\n]*\n)+/, ''));
}

/** The zone with the given serial in its SOA. */
export function withSerial(zone: Zone, serial: number): Zone {
  return {
    ...zone,
    records: zone.records.map((r) => (r.type === 'SOA' ? { ...r, data: { ...r.data, serial } } : r)),
  };
}
