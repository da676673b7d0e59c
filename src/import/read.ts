/** Reading the zone files `mxplan import` is given, each with its origin. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ResourceError } from '../errors.js';
import { parseZoneFile, type ParsedZone } from '../dns/zone-parser.js';

export interface ReadZones {
  readonly zones: ParsedZone[];
  /** Files whose origin was guessed from their name. */
  readonly guessed: Set<string>;
}

/**
 * `FILE` or `ORIGIN=FILE`. Without ORIGIN= the file's own $ORIGIN decides; before one, names are
 * relative to the file name less `.zone`, `.db` or a `db.` prefix (BIND's customs), a guess
 * noted when a record used it.
 */
export async function readZoneFiles(specs: readonly string[]): Promise<ReadZones> {
  const zones: ParsedZone[] = [];
  const guessed = new Set<string>();
  for (const spec of specs) {
    const m = /^([^=/]+)=(.+)$/.exec(spec);
    const file = m ? m[2]! : spec;
    const text = await readInput(file, 'zone file ');
    const fromName = basename(file)
      .replace(/^db\./, '')
      .replace(/\.(zone|db)$/, '');
    const origin = m ? m[1]! : fromName;
    const zone = parseZoneFile(text, file, { origin });
    if (!m && zone.givenOriginUsed) guessed.add(file);
    zones.push(zone);
  }
  return { zones, guessed };
}

/** A file `mxplan import` is given, or one it names; "cannot read <what><file>: ENOENT" (exit 2). */
export async function readInput(file: string, what = ''): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ResourceError(`cannot read ${what}${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      cause,
    });
  }
}
