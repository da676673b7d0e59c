import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveZones } from '../../src/dns/derive.js';
import type { Zone } from '../../src/dns/records.js';
import { readSerial } from '../../src/dns/serial.js';
import { SerialRegressionError, writeZoneDirectory } from '../../src/dns/zone-dir.js';
import { ResourceError } from '../../src/errors.js';
import { planOf, topology, type TopologyDoc } from '../helpers/topology.js';

const DAY1 = new Date('2026-03-01T10:00:00Z');
const DAY2 = new Date('2026-03-02T10:00:00Z');

let scratch: string;
let out: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mxplan-zone-dir-'));
  out = join(scratch, 'zones');
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

async function zonesOf(edit: (t: TopologyDoc) => void = () => {}): Promise<Zone[]> {
  return deriveZones(await planOf(topology(edit)));
}

async function serials(): Promise<Record<string, number | undefined>> {
  const result: Record<string, number | undefined> = {};
  for (const name of (await readdir(out)).filter((n) => n.endsWith('.zone')).sort()) {
    result[name] = readSerial(await readFile(join(out, name), 'utf8'));
  }
  return result;
}

describe('writeZoneDirectory', () => {
  it('writes one file per zone with a date serial, and leaves no work directory behind', async () => {
    const result = await writeZoneDirectory(await zonesOf(), { out, now: DAY1, servers: ['bind'] });
    expect(result.written).toBe(true);
    expect(result.zones.every((z) => z.status === 'new' && z.serial === 2026030100)).toBe(true);
    expect((await readdir(out)).sort()).toEqual([...result.zones.map((z) => z.file), 'named.conf'].sort());
    expect(await readdir(scratch)).toEqual(['zones']);
  });

  it('changes nothing when run again on the same plan, even on a later day', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const before = await serials();
    const mtime = (await stat(join(out, 'acme.example.zone'))).mtimeMs;
    const again = await writeZoneDirectory(await zonesOf(), { out, now: DAY2 });
    expect(again.written).toBe(false);
    expect(again.zones.every((z) => z.status === 'unchanged')).toBe(true);
    expect(await serials()).toEqual(before);
    expect((await stat(join(out, 'acme.example.zone'))).mtimeMs).toBe(mtime);
  });

  it('raises the serial of a changed zone only, counting up within one day', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const quarantine = (t: TopologyDoc) => {
      t.domains['acme.example'].dmarc.policy = 'reject';
    };
    const second = await writeZoneDirectory(await zonesOf(quarantine), { out, now: DAY1 });
    expect(second.zones.filter((z) => z.status !== 'unchanged').map((z) => [z.origin, z.status, z.serial])).toEqual([
      ['acme.example', 'changed', 2026030101],
    ]);
    const third = await writeZoneDirectory(
      await zonesOf((t) => {
        quarantine(t);
        t.domains['acme.example'].ttl = 600;
      }),
      { out, now: DAY2 },
    );
    expect(third.zones.find((z) => z.origin === 'acme.example')).toMatchObject({
      status: 'changed',
      serial: 2026030200,
    });
    expect((await serials())['globex.example.zone']).toBe(2026030100);
  });

  it('sets an explicit serial on every zone', async () => {
    const result = await writeZoneDirectory(await zonesOf(), { out, serial: 7, now: DAY1 });
    expect(result.zones.every((z) => z.serial === 7)).toBe(true);
    expect(Object.values(await serials()).every((s) => s === 7)).toBe(true);
  });

  it('refuses an explicit serial below the serials in the directory, and changes nothing', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const before = await serials();
    const refused = writeZoneDirectory(await zonesOf(), { out, serial: 7, now: DAY2 });
    await expect(refused).rejects.toThrow(SerialRegressionError);
    await expect(refused).rejects.toThrow(
      /^zone [^ ]+ in .* would lower its serial from 2026030100 to 7 \(and \d+ more zones\): secondaries would never transfer it \(RFC 1982\); nothing was written$/,
    );
    await expect(refused).rejects.toMatchObject({
      zones: expect.arrayContaining([
        { origin: 'acme.example', previous: 2026030100, serial: 7, changedAtSameSerial: false },
      ]),
    });
    expect(await serials()).toEqual(before);
  });

  it('refuses an explicit serial equal to the one a changed zone already has, but not on unchanged zones', async () => {
    await writeZoneDirectory(await zonesOf(), { out, serial: 2026030100 });
    const same = await writeZoneDirectory(await zonesOf(), { out, serial: 2026030100 });
    expect(same.written).toBe(false);
    const changed = writeZoneDirectory(
      await zonesOf((t) => {
        t.domains['acme.example'].ttl = 600;
      }),
      { out, serial: 2026030100 },
    );
    await expect(changed).rejects.toMatchObject({
      message: expect.stringMatching(/^zone acme\.example in .* keeps serial 2026030100 on changed records:/),
      zones: [{ origin: 'acme.example', previous: 2026030100, serial: 2026030100, changedAtSameSerial: true }],
    });
  });

  it('lowers the serials when the caller allows it', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const result = await writeZoneDirectory(await zonesOf(), { out, serial: 7, allowSerialDecrease: true });
    expect(result.zones.every((z) => z.serial === 7 && z.status === 'changed')).toBe(true);
    expect(Object.values(await serials()).every((s) => s === 7)).toBe(true);
  });

  it('keeps the serial of a zone whose header alone differs (an older mxplan named the topology file there)', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const file = join(out, 'acme.example.zone');
    const current = await readFile(file, 'utf8');
    const named = current.replace('Generated by mxplan:', 'Generated by mxplan from topology.yaml:');
    expect(named).not.toBe(current);
    await writeFile(file, named);
    const result = await writeZoneDirectory(await zonesOf(), { out, now: DAY2 });
    expect(result.zones.find((z) => z.origin === 'acme.example')).toMatchObject({
      status: 'unchanged',
      serial: 2026030100,
    });
    expect(await readFile(file, 'utf8')).toBe(current);
  });

  it('drops the files of zones the plan no longer has, and reports them', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1, servers: ['nsd'] });
    const result = await writeZoneDirectory(
      await zonesOf((t) => {
        delete t.domains['parked.example'];
      }),
      { out, now: DAY1 },
    );
    expect(result.removed).toEqual(['nsd.conf', 'parked.example.zone']);
    expect(existsSync(join(out, 'parked.example.zone'))).toBe(false);
  });

  it('refuses a directory holding files it did not write, and changes nothing', async () => {
    await mkdir(out);
    await writeFile(join(out, 'named.conf.local'), 'zone "x" {};\n');
    await expect(writeZoneDirectory(await zonesOf(), { out, now: DAY1 })).rejects.toThrow(ResourceError);
    await expect(writeZoneDirectory(await zonesOf(), { out, now: DAY1 })).rejects.toThrow(/named\.conf\.local/);
    expect(await readdir(out)).toEqual(['named.conf.local']);
  });

  it('refuses an output path that is a file', async () => {
    await writeFile(out, 'not a directory');
    await expect(writeZoneDirectory(await zonesOf(), { out, now: DAY1 })).rejects.toThrow(ResourceError);
  });

  it('keeps the old set whole when writing the new one fails half-way', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const before = await serials();
    const zones = await zonesOf((t) => {
      t.domains['acme.example'].ttl = 60;
    });
    // A zone whose file cannot be created (its name holds a directory separator) fails the run
    // after other files of the new set were written.
    const broken: Zone = { ...zones[0]!, origin: 'no/such/dir' };
    await expect(writeZoneDirectory([...zones, broken], { out, now: DAY2 })).rejects.toThrow();
    expect(await serials()).toEqual(before);
    expect(await readdir(scratch)).toEqual(['zones']);
  });

  it('recovers the old set when a killed run left it set aside, and removes its staging directory', async () => {
    await writeZoneDirectory(await zonesOf(), { out, now: DAY1 });
    const before = await serials();
    const dead = 2 ** 22 + 1; // above Linux's default pid_max of 2^22: no such process
    await rename(out, join(scratch, `.zones.old-${dead}-abcd`));
    await mkdir(join(scratch, `.zones.tmp-${dead}-abcd`));
    const result = await writeZoneDirectory(await zonesOf(), { out, now: DAY2 });
    expect(result.written).toBe(false);
    expect(await serials()).toEqual(before);
    expect(await readdir(scratch)).toEqual(['zones']);
  });
});
