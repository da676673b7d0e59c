/**
 * Golden zone sets, in the manner of dnscontrol's parse_tests: each case is a topology and the
 * exact files `mxplan zones` writes for it (zones, named.conf, nsd.conf, knot.conf) plus the
 * `mxplan records --format json` output.
 *
 * Cases: test/golden/NNN-name/topology.yaml (expected files in zones/ and records.json beside it),
 * and every examples/<name>/topology.yaml (expected files in test/golden/examples/<name>/).
 *
 * On a mismatch the test writes `<file>.actual` next to the expected file, to diff; run with
 * UPDATE_GOLDEN=1 to accept the new output instead.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveZones } from '../../src/dns/derive.js';
import { recordObjects } from '../../src/dns/presentation.js';
import { SERVERS } from '../../src/dns/server-config.js';
import { writeZoneDirectory } from '../../src/dns/zone-dir.js';
import { checkTopology } from '../../src/lint/check.js';
import { compareGolden } from '../helpers/golden.js';
import { GOLDEN_SERIAL, GOLDEN_ZONE_DIRECTORY, goldenCases } from './golden-cases.js';

/** The files of one case: `zones/<file>` for the zone set, and `records.json`. */
async function generate(topology: string, scratch: string): Promise<Map<string, string>> {
  const { plan, findings } = await checkTopology(topology, { strict: true });
  if (!plan) throw new Error(`${topology} does not load: ${findings.map((f) => f.message).join('; ')}`);
  // A golden topology is one `mxplan zones` accepts as it stands, without --force or warnings.
  expect(findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  const zones = deriveZones(plan, { serial: GOLDEN_SERIAL });
  const out = join(scratch, 'zones');
  await writeZoneDirectory(zones, {
    out,
    serial: GOLDEN_SERIAL,
    servers: SERVERS,
    zoneDirectory: GOLDEN_ZONE_DIRECTORY,
  });
  const files = new Map<string, string>();
  for (const name of (await readdir(out)).sort()) files.set(`zones/${name}`, await readFile(join(out, name), 'utf8'));
  files.set('records.json', `${JSON.stringify(recordObjects(zones), null, 2)}\n`);
  return files;
}

describe('golden zone sets', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'mxplan-golden-'));
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  for (const c of await goldenCases()) {
    it(c.name, async () => {
      const actual = await generate(c.topology, join(scratch, c.name.replace(/\//g, '_')));
      const ours = (name: string) => name.startsWith('records.json') || name.startsWith('zones/');
      expect(await compareGolden(c.expected, actual, ours)).toEqual([]);
    });
  }
});
