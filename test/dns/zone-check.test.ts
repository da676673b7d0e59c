/**
 * Every generated zone set, checked by the real servers' own tools:
 * - BIND's named-checkzone in its strictest offline mode loads each zone with no warning;
 * - Knot's kzonecheck accepts each zone;
 * - named-checkconf -z loads named.conf (and every zone it names), nsd-checkconf accepts
 *   nsd.conf, knotc accepts knot.conf and loads its zones;
 * - the records BIND reads back (named-compilezone) are exactly the derived records, and each
 *   survives a dns-packet encode/decode: what is in a file is also servable.
 *
 * Sets: the golden fixtures, the examples, and a synthetic plan of 400 domains.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveZones } from '../../src/dns/derive.js';
import { sortRecords } from '../../src/dns/order.js';
import { recordLine } from '../../src/dns/presentation.js';
import type { Zone } from '../../src/dns/records.js';
import { SERVERS } from '../../src/dns/server-config.js';
import { writeZoneDirectory, type WriteZonesResult } from '../../src/dns/zone-dir.js';
import { loadPlan } from '../../src/topology/load.js';
import { ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { GOLDEN_SERIAL, goldenCases } from './golden-cases.js';
import { roundTrip } from './round-trip.js';
import { inParallel } from '../../src/parallel.js';
import { compiledRecords, kzonecheck, namedCheckzone, run } from './zone-tools.js';

const hasBind = ['named-checkzone', 'named-checkconf', 'named-compilezone'].every(requireTool);
const hasKnot = ['kzonecheck', 'knotc'].every(requireTool);
const hasNsd = requireTool('nsd-checkconf');

/** Two at a time: the machine has two cores, shared with other suites. */
const PARALLEL = 2;

interface ZoneSetCase {
  readonly name: string;
  readonly topology: (scratch: string) => Promise<string>;
  /** Check the BIND read-back on every nth zone only (a large set needs no more to prove the writer). */
  readonly readBackEvery: number;
}

const synthetic: ZoneSetCase = {
  name: 'synthetic plan, 400 domains',
  topology: async (scratch) => {
    const { writeSyntheticTopology } = (await import(join(ROOT, 'bench', 'synthetic.mjs'))) as {
      writeSyntheticTopology(dir: string, size: { domains: number; usersPerDomain: number }): Promise<string>;
    };
    return writeSyntheticTopology(scratch, { domains: 400, usersPerDomain: 2 });
  },
  readBackEvery: 40,
};

const cases: ZoneSetCase[] = [
  ...(await goldenCases()).map((c) => ({ name: c.name, topology: async () => c.topology, readBackEvery: 1 })),
  synthetic,
];

for (const c of cases) {
  describe(`zone set: ${c.name}`, () => {
    let scratch: string;
    let zones: Zone[];
    let result: WriteZonesResult;
    const fileOf = (origin: string) => join(result.out, `${origin}.zone`);

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'mxplan-zone-check-'));
      const { plan, findings } = await loadPlan(await c.topology(scratch));
      if (!plan) throw new Error(`${c.name} does not load: ${findings.map((f) => f.message).join('; ')}`);
      zones = deriveZones(plan, { serial: GOLDEN_SERIAL });
      result = await writeZoneDirectory(zones, {
        out: join(scratch, 'zones'),
        serial: GOLDEN_SERIAL,
        servers: SERVERS,
      });
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));

    it.runIf(hasBind)(
      'named-checkzone -i local -k fail -m fail -M fail -n fail -S fail loads every zone with no warning',
      async () => {
        const runs = await inParallel(zones, PARALLEL, async (z) => ({
          origin: z.origin,
          ...(await namedCheckzone(z.origin, fileOf(z.origin))),
        }));
        const failures = runs.filter(
          (r) => r.code !== 0 || r.output !== `zone ${r.origin}/IN: loaded serial ${GOLDEN_SERIAL}\nOK\n`,
        );
        expect(failures).toEqual([]);
      },
    );

    it.runIf(hasKnot)('kzonecheck accepts every zone', async () => {
      const runs = await inParallel(zones, PARALLEL, async (z) => ({
        origin: z.origin,
        ...(await kzonecheck(z.origin, fileOf(z.origin))),
      }));
      expect(runs.filter((r) => r.code !== 0 || r.output !== '')).toEqual([]);
    });

    it.runIf(hasBind)('named-checkconf -z loads named.conf and every zone it names', async () => {
      const { code, output } = await run('named-checkconf', ['-z', join(result.out, 'named.conf')]);
      expect(code, output).toBe(0);
      const lines = output.trim().split('\n');
      expect(lines.filter((l) => !/^zone \S+\/IN: loaded serial \d+$/.test(l))).toEqual([]);
      expect(lines).toHaveLength(zones.length);
    });

    it.runIf(hasNsd)('nsd-checkconf accepts nsd.conf', async () => {
      expect(await run('nsd-checkconf', [join(result.out, 'nsd.conf')])).toEqual({ code: 0, output: '' });
    });

    it.runIf(hasKnot)('knotc accepts knot.conf and loads its zones', async () => {
      const conf = join(result.out, 'knot.conf');
      expect(await run('knotc', ['-c', conf, 'conf-check'])).toEqual({ code: 0, output: 'Configuration is valid\n' });
      expect(await run('knotc', ['-c', conf, 'zone-check'])).toEqual({ code: 0, output: '' });
    });

    it.runIf(hasBind)('BIND reads back exactly the derived records, and each survives dns-packet', async () => {
      const sample = zones.filter((_, i) => i % c.readBackEvery === 0);
      await inParallel(sample, PARALLEL, async (zone) => {
        const read = sortRecords(await compiledRecords(zone.origin, fileOf(zone.origin)));
        expect(read.map(recordLine)).toEqual(zone.records.map(recordLine));
        for (const record of read) expect(roundTrip(record)).toEqual(record);
      });
    });
  });
}
