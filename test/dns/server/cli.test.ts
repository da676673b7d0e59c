/**
 * `mxplan dns` as a user runs it: the built CLI (dist/, built by `npm test`) in a child process,
 * queried by c-ares, stopped by a real SIGTERM or SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../src/dns/server.js';
import { mxplan, ROOT } from '../../helpers/cli.js';
import { removeTempDirs, tempDir } from '../../helpers/temp.js';
import { FIXTURE_ZONES } from '../responder/dns-test.js';
import { resolver } from './clients.js';

const HOSTING = join(ROOT, 'examples', 'hosting', 'topology.yaml');
const running = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
});
afterAll(removeTempDirs);

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  exit(): Promise<number | null>;
}

/** Starts `mxplan dns ...args` and waits for its "serving" line. */
function serve(args: readonly string[]): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mxplan.js'), 'dns', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
  running.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const serving = /serving \d+ zones on 127\.0\.0\.1:(\d+)/.exec(err);
      if (serving)
        resolve({ child, port: Number(serving[1]), stdout: () => out, stderr: () => err, exit: () => exited });
    });
    void exited.then((code) => reject(new Error(`mxplan dns exited (${code}) before serving:\n${err}`)));
  });
}

describe('mxplan dns', () => {
  it('serves the plan on loopback, logs NDJSON, and stops cleanly on SIGTERM', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--log']);
    expect(served.stderr()).toMatch(/serving \d+ zones on 127\.0\.0\.1:\d+ \(UDP and TCP\); Ctrl-C stops/);
    const r = resolver(served.port);
    const mx = await r.resolveMx('hostco.example');
    expect(mx.map((m) => m.exchange)).toContain('store1.mail.hostco.example');
    await expect(r.resolve4('nobody.hostco.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });

    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);
    expect(served.stderr()).toMatch(/mxplan: SIGTERM: stopped\n$/);
    const lines = served
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ transport: 'udp', qname: 'hostco.example', qtype: 'MX', rcode: 'NOERROR' });
    expect(lines[1]).toMatchObject({ qname: 'nobody.hostco.example', qtype: 'A', rcode: 'NXDOMAIN' });
    for (const line of lines)
      expect(Object.keys(line)).toEqual([
        'time',
        'client',
        'transport',
        'qname',
        'qtype',
        'rcode',
        'size',
        'truncated',
        'latencyMs',
      ]);
  });

  it('stops on Ctrl-C (SIGINT) and writes the log to a file', async () => {
    const dir = await tempDir('dns-log');
    const logFile = join(dir, 'queries.ndjson');
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--log', logFile]);
    await resolver(served.port).resolveSoa('hostco.example');
    served.child.kill('SIGINT');
    expect(await served.exit()).toBe(0);
    expect(served.stderr()).toMatch(/SIGINT: stopped/);
    expect(JSON.parse((await readFile(logFile, 'utf8')).trim())).toMatchObject({
      qname: 'hostco.example',
      qtype: 'SOA',
      rcode: 'NOERROR',
    });
  });

  it('runs several workers on one port and stops them all', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '2']);
    expect(served.stderr()).toMatch(/with 2 workers/);
    const r = resolver(served.port);
    for (let i = 0; i < 20; i++) expect(await r.resolve4('store1.mail.hostco.example')).toEqual(['203.0.113.11']);
    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);
    // Nothing listens any more: the workers are gone with the primary.
    const again = await startDnsServer({ zones: FIXTURE_ZONES, port: served.port });
    await again.close();
  });

  it('says clearly when the port is taken (exit 2)', async () => {
    await using blocker = await startDnsServer({ zones: FIXTURE_ZONES });
    const result = await mxplan(['dns', HOSTING, '--listen', `127.0.0.1:${blocker.port}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `mxplan: cannot listen on 127.0.0.1:${blocker.port}/udp: the port is already in use; choose another port with --listen\n`,
    );
  });

  it.each([
    ['--listen', 'localhost'],
    ['--listen', '127.0.0.1:70000'],
    ['--workers', '0'],
  ])('rejects %s %s (exit 2)', async (flag, value) => {
    const result = await mxplan(['dns', HOSTING, flag, value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`mxplan: ${flag} takes`));
  });
});
