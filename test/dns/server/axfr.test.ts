/**
 * `mxplan dns` serves what `mxplan zones` writes: for every zone of real plans, `dig axfr` from
 * the server, normalised by BIND's named-compilezone, equals the zone file normalised the same
 * way. Also: a zone larger than one TCP message.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveZones } from '../../../src/dns/derive.js';
import { recordLine } from '../../../src/dns/presentation.js';
import type { Zone } from '../../../src/dns/records.js';
import { formatZone } from '../../../src/dns/zone-file.js';
import { startDnsServer } from '../../../src/dns/server.js';
import { loadPlan } from '../../../src/topology/load.js';
import { ROOT } from '../../helpers/cli.js';
import { requireTool } from '../../helpers/tools.js';
import { planOf, baseTopology } from '../../helpers/topology.js';
import { inParallel } from '../../../src/parallel.js';
import { compiledRecords } from '../zone-tools.js';
import { dig, digHeader } from './clients.js';

const ready = requireTool('dig') && requireTool('named-compilezone');
const SERIAL = 2026112801;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxplan-axfr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The zone's records as `dig axfr` prints them, without the closing SOA. */
async function transfer(port: number, origin: string): Promise<string> {
  const { code, output } = await dig(port, ['+noall', '+answer', '+nocookie', origin, 'AXFR']);
  if (code !== 0 || output.includes('Transfer failed')) throw new Error(`dig axfr ${origin} failed:\n${output}`);
  const lines = output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
  expect(lines[0]).toMatch(/\sIN\s+SOA\s/);
  expect(lines.at(-1)).toBe(lines[0]);
  return `${lines.slice(0, -1).join('\n')}\n`;
}

async function plans(): Promise<[string, Zone[]][]> {
  const base = deriveZones(await planOf(baseTopology()), { serial: SERIAL });
  const hosting = await loadPlan(join(ROOT, 'examples', 'hosting', 'topology.yaml'));
  return [
    ['base topology', base],
    ['examples/hosting', deriveZones(hosting.plan!, { serial: SERIAL })],
  ];
}

describe.runIf(ready)('AXFR', () => {
  it('dig axfr of every zone, normalised by named-compilezone, equals the zone file mxplan zones writes', async () => {
    for (const [what, zones] of await plans()) {
      await using server = await startDnsServer({ zones });
      await inParallel(zones, 2, async (zone) => {
        const transferred = join(dir, `${zone.origin}.axfr`);
        const written = join(dir, `${zone.origin}.zone`);
        await writeFile(transferred, await transfer(server.port, zone.origin));
        await writeFile(written, formatZone(zone));
        const [fromServer, fromFile] = await Promise.all([
          compiledRecords(zone.origin, transferred),
          compiledRecords(zone.origin, written),
        ]);
        expect(fromServer, `${what}: ${zone.origin}`).toEqual(fromFile);
        // And the same multiset as the derived records themselves.
        expect(fromServer.map(recordLine).sort(), `${what}: ${zone.origin}`).toEqual(
          zone.records.map(recordLine).sort(),
        );
      });
    }
  });

  it('spreads a large zone over several messages', async () => {
    const records = [
      {
        name: 'example.org',
        type: 'SOA',
        ttl: 3600,
        data: {
          mname: 'ns1.example.org',
          rname: 'hostmaster.example.org',
          serial: 1,
          refresh: 7200,
          retry: 1800,
          expire: 1209600,
          minimum: 300,
        },
      },
      { name: 'example.org', type: 'NS', ttl: 3600, data: 'ns1.example.org' },
      ...Array.from({ length: 3000 }, (_, i) => ({
        name: `host${i}.example.org`,
        type: 'TXT',
        ttl: 3600,
        data: [`host number ${i}`],
      })),
    ] as Zone['records'];
    await using server = await startDnsServer({ zones: [{ origin: 'example.org', kind: 'domain', records }] });
    const { output } = await dig(server.port, ['example.org', 'AXFR']);
    const size = /XFR size: (\d+) records \(messages (\d+)/.exec(output);
    expect(Number(size![1])).toBe(3002 + 1);
    expect(Number(size![2])).toBeGreaterThan(1);
  });

  it('refuses a transfer of a name that is not a zone apex (NOTAUTH)', async () => {
    const [, zones] = (await plans())[0]!;
    await using server = await startDnsServer({ zones });
    const host = zones.flatMap((z) => z.records).find((r) => r.type === 'A')!.name;
    const { output } = await dig(server.port, [host, 'AXFR', '+tcp', '+noall', '+comments']);
    expect(digHeader(output).status).toBe('NOTAUTH');
  });
});
