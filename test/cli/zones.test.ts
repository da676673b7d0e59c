import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSerial } from '../../src/dns/serial.js';
import { brokenCopy, mxplan, ROOT } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mxplan-cli-zones-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

const building = 'examples/building/topology.yaml';
/** An MX naming a host that does not exist: an error-level finding (mx-target-planned). */
const unknownMxHost = (t: string) =>
  t.replace(
    '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
    '      - { host: mail3, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
  );

describe('mxplan zones', () => {
  it('writes the zones and server configs, then keeps them on an unchanged re-run', async () => {
    const out = join(scratch, 'building');
    const first = await mxplan(['zones', building, '--out', out, '--server', 'bind,nsd', '--server', 'knot']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      `wrote 8 zones in ${out}, with named.conf, nsd.conf, knot.conf: 8 new, 0 changed, 0 unchanged\n`,
    );
    expect(first.code).toBe(0);
    expect(await readFile(join(out, 'named.conf'), 'utf8')).toContain(`file "${join(out, 'acme.example.zone')}";`);

    const again = await mxplan(['zones', building, '--out', out, '--server', 'bind,nsd,knot']);
    expect(again.stdout).toBe(
      `kept (nothing changed) 8 zones in ${out}, with named.conf, nsd.conf, knot.conf: 0 new, 0 changed, 8 unchanged\n`,
    );
    expect(again.code).toBe(0);
  });

  it('sets --serial and writes --zone-dir into the configs', async () => {
    const out = join(scratch, 'serial');
    const result = await mxplan([
      'zones',
      building,
      '-o',
      out,
      '--serial',
      '42',
      '--server',
      'bind',
      '--zone-dir',
      '/etc/bind/mxplan',
    ]);
    expect(result.code).toBe(0);
    expect(readSerial(await readFile(join(out, 'acme.example.zone'), 'utf8'))).toBe(42);
    expect(await readFile(join(out, 'named.conf'), 'utf8')).toContain('file "/etc/bind/mxplan/acme.example.zone";');
  });

  it('refuses a --serial below the serials already in --out (exit 2), unless --allow-serial-decrease', async () => {
    const out = join(scratch, 'lower');
    expect((await mxplan(['zones', building, '--out', out, '--serial', '2026010100'])).code).toBe(0);
    const lower = await mxplan(['zones', building, '--out', out, '--serial', '5']);
    expect(lower.code).toBe(2);
    expect(lower.stdout).toBe('');
    expect(lower.stderr).toMatch(
      /^mxplan: zone \S+ in \S+ would lower its serial from 2026010100 to 5 \(and 7 more zones\): secondaries would never transfer it \(RFC 1982\); nothing was written \(--allow-serial-decrease writes it anyway\)\n$/,
    );
    expect(readSerial(await readFile(join(out, 'acme.example.zone'), 'utf8'))).toBe(2026010100);

    const allowed = await mxplan(['zones', building, '--out', out, '--serial', '5', '--allow-serial-decrease']);
    expect(allowed.code).toBe(0);
    expect(readSerial(await readFile(join(out, 'acme.example.zone'), 'utf8'))).toBe(5);
  });

  it('changes no zone when the topology file moves or is renamed', async () => {
    const { file, dir } = await brokenCopy('hosting', (t) => `${t}\n`);
    const out = join(scratch, 'moved');
    expect((await mxplan(['zones', file, '--out', out])).code).toBe(0);
    const before = await readdir(out);
    const texts = await Promise.all(before.map((name) => readFile(join(out, name), 'utf8')));
    const moved = join(dir, 'renamed-plan.yaml');
    await rename(file, moved);
    const again = await mxplan(['zones', moved, '--out', out]);
    expect(again.stdout).toMatch(/^kept \(nothing changed\) \d+ zones in .*: 0 new, 0 changed, \d+ unchanged\n$/);
    expect(await Promise.all(before.map((name) => readFile(join(out, name), 'utf8')))).toEqual(texts);
  });

  it('prints the findings and writes nothing when the topology has errors (exit 1)', async () => {
    const { file } = await brokenCopy('building', unknownMxHost);
    const out = join(scratch, 'broken');
    const result = await mxplan(['zones', file, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('mx-target-planned');
    expect(result.stderr).toContain('the topology has errors, so no zones were written (--force goes on anyway)');
    expect(existsSync(out)).toBe(false);
  });

  it('writes the zones of a topology with errors under --force, still showing the findings', async () => {
    const { file } = await brokenCopy('building', unknownMxHost);
    const out = join(scratch, 'forced');
    const result = await mxplan(['zones', file, '--out', out, '--force']);
    expect(result.stderr).toContain('mx-target-planned');
    expect(result.code).toBe(0);
    expect(await readFile(join(out, 'globex.example.zone'), 'utf8')).toContain('IN MX    10 mail3.');
  });

  it('exits 1 without writing when the topology does not load', async () => {
    const { file } = await brokenCopy('building', (t) => t.replace('version: 1', 'version: 1\nversion: 2'));
    const out = join(scratch, 'unloadable');
    const result = await mxplan(['zones', file, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/topology-syntax|topology-schema/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['a serial that is not a number', ['--serial', 'today'], /--serial takes a whole number/],
    ['a serial beyond 32 bits', ['--serial', '4294967296'], /--serial takes a whole number/],
    ['an unknown server', ['--server', 'bind,powerdns'], /--server takes bind, nsd, knot, not "powerdns"/],
  ])('exits 2 on %s', async (_, args, message) => {
    const result = await mxplan(['zones', building, '--out', join(scratch, 'usage'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 without --out', async () => {
    const result = await mxplan(['zones', building]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '-o, --out <dir>' not specified");
  });

  it('exits 2 and touches nothing when --out holds files it did not write', async () => {
    const out = join(scratch, 'foreign');
    await mkdir(out);
    await writeFile(join(out, 'db.local'), '; mine\n');
    const result = await mxplan(['zones', building, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds files mxplan did not write \(db\.local\)/);
    expect(await readdir(out)).toEqual(['db.local']);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an interrupted mxplan zones', () => {
  it('leaves the old zone set or the new one, never a mix', async () => {
    const { writeSyntheticTopology } = (await import(join(ROOT, 'bench', 'synthetic.mjs'))) as {
      writeSyntheticTopology(dir: string, size: { domains: number; usersPerDomain: number }): Promise<string>;
    };
    const topology = await writeSyntheticTopology(join(scratch, 'synthetic'), { domains: 1500, usersPerDomain: 1 });
    const out = join(scratch, 'interrupted');
    expect((await mxplan(['zones', topology, '--out', out, '--serial', '1'])).code).toBe(0);
    const count = (await readdir(out)).length;

    // Kill runs that write serial 2 while they write: once the staging directory appears, after
    // a few different pauses. Whatever the moment, every file must carry one serial, and all of
    // them must be there.
    for (const pause of [0, 20, 40, 80]) {
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'mxplan.js'), 'zones', topology, '--out', out, '--serial', '2'],
        { stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let running = true;
      void exited.then(() => {
        running = false;
      });
      while (running && !(await readdir(scratch)).some((n) => n.startsWith('.interrupted.tmp-'))) await sleep(2);
      await sleep(pause);
      child.kill('SIGKILL');
      await exited;
      const names = await readdir(out);
      expect(names).toHaveLength(count);
      const serials = new Set<number | undefined>();
      for (const name of names.filter((n) => n.endsWith('.zone')).filter((_, i) => i % 50 === 0)) {
        serials.add(readSerial(await readFile(join(out, name), 'utf8')));
      }
      expect(serials.size).toBe(1);
    }
    // At least one run died while writing (its staging directory is still there); the next run
    // cleans up what the killed ones left beside the directory.
    expect((await readdir(scratch)).some((n) => n.startsWith('.interrupted.tmp-'))).toBe(true);
    expect((await mxplan(['zones', topology, '--out', out, '--serial', '3'])).code).toBe(0);
    expect((await readdir(scratch)).filter((n) => n.startsWith('.interrupted.'))).toEqual([]);
  });
});
