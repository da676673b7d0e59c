/**
 * `mxplan dns` as a user runs it: the built CLI (dist/, built by `npm test`) in a child process,
 * queried by c-ares, stopped by a real SIGTERM or SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../src/dns/server.js';
import { livingInGroup } from '../../../src/lab/procfs.js';
import { mxplan, ROOT } from '../../helpers/cli.js';
import { removeTempDirs, tempDir } from '../../helpers/temp.js';
import { FIXTURE_ZONES, query } from '../responder/dns-test.js';
import { resolver } from './clients.js';

const HOSTING = join(ROOT, 'examples', 'hosting', 'topology.yaml');
const running = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of running) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    // A detached child leads its own process group: take its workers with it.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
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

/**
 * Starts `mxplan dns ...args` and waits for its "serving" line. `detached` gives it a process
 * group of its own (as a shell does), to be signalled as a whole as Ctrl-C does; `readStdout:
 * false` leaves its stdout unread, a reader that has stalled.
 */
function serve(
  args: readonly string[],
  {
    detached = false,
    readStdout = true,
    stdin,
    cwd = ROOT,
  }: { detached?: boolean; readStdout?: boolean; stdin?: string; cwd?: string } = {},
): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mxplan.js'), 'dns', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    detached,
  });
  running.add(child);
  if (stdin !== undefined) child.stdin.end(stdin);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (readStdout) child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
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
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '1', '--log']);
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
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '1', '--log', logFile]);
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

  it('runs several workers on one port and stops them all on SIGTERM, saying nothing more', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '2']);
    expect(served.stderr()).toMatch(/with 2 workers/);
    const r = resolver(served.port);
    for (let i = 0; i < 20; i++) expect(await r.resolve4('store1.mail.hostco.example')).toEqual(['203.0.113.11']);
    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);
    expect(served.stderr()).toMatch(
      /^mxplan: serving \d+ zones on [^\n]+ with 2 workers; Ctrl-C stops\nmxplan: SIGTERM: stopped\n$/,
    );
    // Nothing listens any more: the workers are gone with the primary.
    const again = await startDnsServer({ zones: FIXTURE_ZONES, port: served.port });
    await again.close();
  });

  it('stops its workers quietly on Ctrl-C, which reaches the whole process group', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '2', '--log'], { detached: true });
    expect(await resolver(served.port).resolveSoa('hostco.example')).toMatchObject({ nsname: expect.any(String) });
    process.kill(-served.child.pid!, 'SIGINT');
    expect(await served.exit()).toBe(0);
    expect(served.stderr()).toMatch(/^mxplan: serving [^\n]+; Ctrl-C stops\nmxplan: SIGINT: stopped\n$/);
    expect(JSON.parse(served.stdout().trim())).toMatchObject({ qname: 'hostco.example', qtype: 'SOA' });
  });

  /**
   * `mxplan dns --workers 2` in a process group of its own, returned once its first worker is
   * forked (the primary forks once it has checked the plan; the workers join its group).
   */
  async function startingWorkers() {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'mxplan.js'), 'dns', HOSTING, '--listen', '127.0.0.1:0', '--workers', '2'],
      { env: { ...process.env, NO_COLOR: '1' }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running.add(child);
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Every process of the group writes to this pipe: it closes once the last one is gone.
    const closed = new Promise((resolve) => child.stderr.once('close', resolve));
    const workers = (): number[] => livingInGroup(child.pid!).filter((pid) => pid !== child.pid);
    const deadline = Date.now() + 20_000;
    while (workers().length === 0 && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 1));
    return { child, exited, closed, err: () => err, workers };
  }

  // Issue 10: the primary died of the signal while its workers were still starting, and each
  // worker, finding its channel to the primary closed, printed an EPIPE stack.
  it.each([
    ['SIGTERM to mxplan', 'SIGTERM', 0],
    // CI (stop 24): a worker that Ctrl-C ended before it set its handlers failed the start, when
    // the primary heard of it before its own copy of the signal. Each pause lands elsewhere in a
    // worker's start: booting Node, loading the plan, binding.
    ['Ctrl-C (SIGINT to the process group) at once', 'SIGINT', 0],
    ['Ctrl-C (SIGINT to the process group) after 50 ms', 'SIGINT', 50],
    ['Ctrl-C (SIGINT to the process group) after 200 ms', 'SIGINT', 200],
  ] as const)('stops quietly on %s while its workers start', async (_, signal, pause) => {
    const { child, exited, closed, err, workers } = await startingWorkers();
    expect(workers().length, err()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, pause));
    if (signal === 'SIGINT') process.kill(-child.pid!, signal);
    else child.kill(signal);
    expect(await exited, err()).toBe(0);
    await closed;
    expect(livingInGroup(child.pid!)).toEqual([]);
    expect(err()).toMatch(new RegExp(`^(mxplan: serving [^\n]+\n)?mxplan: ${signal}: stopped\n$`));
  });

  // The same race, forced: a worker ended by Ctrl-C before it set its handlers, and the primary
  // told of that before its own copy of the signal arrives (the kernel may hand the group's
  // signals to the primary's threads in either order under load).
  it('stops quietly when a starting worker dies of Ctrl-C before the primary hears its own copy', async () => {
    const { child, exited, err, workers } = await startingWorkers();
    const [first] = workers();
    expect(first, err()).toBeDefined();
    process.kill(first!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The primary is still there to hear it: it waits for the signal that ended its worker.
    expect(() => process.kill(child.pid!, 'SIGINT'), err()).not.toThrow();
    expect(await exited, err()).toBe(0);
    expect(err()).toMatch(/^mxplan: SIGINT: stopped\n$/);
  });

  it('runs one worker per core by default, and one for a topology read from standard input', async () => {
    const cores = availableParallelism();
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0']);
    expect(served.stderr()).toMatch(
      cores > 1 ? new RegExp(`with ${cores} workers; Ctrl-C`) : /\(UDP and TCP\); Ctrl-C/,
    );
    expect((await resolver(served.port).resolveMx('hostco.example')).length).toBeGreaterThan(0);
    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);

    // Standard input can be read once: the workers could not load it again. (Its users files
    // are then relative to the working directory.)
    const piped = await serve(['-', '--listen', '127.0.0.1:0'], {
      stdin: await readFile(HOSTING, 'utf8'),
      cwd: dirname(HOSTING),
    });
    expect(piped.stderr()).toMatch(/\(UDP and TCP\); Ctrl-C stops/);
    expect((await resolver(piped.port).resolveMx('hostco.example')).length).toBeGreaterThan(0);
    piped.child.kill('SIGTERM');
    expect(await piped.exit()).toBe(0);
  });

  it('goes on serving when the reader of its log goes away (--log - | head -1)', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '1', '--log', '-'], {
      readStdout: false,
    });
    const r = resolver(served.port);
    const firstLine = new Promise<string>((resolve) => {
      let text = '';
      served.child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
    });
    const mx = await r.resolveMx('hostco.example');
    expect(JSON.parse(await firstLine)).toMatchObject({ qname: 'hostco.example', qtype: 'MX' });
    // As head does after one line: close the reading end of the pipe.
    served.child.stdout!.destroy();
    for (let i = 0; i < 10; i++) expect(await r.resolveMx('hostco.example')).toEqual(mx);
    expect(served.child.exitCode).toBeNull();
    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);
    expect(served.stderr()).toMatch(
      /^mxplan: serving [^\n]+\nmxplan: the query log stopped \(EPIPE\); serving goes on without it\nmxplan: the query log dropped \d+ of 11 entries \(its reader was slower than the queries, or gone\)\nmxplan: SIGTERM: stopped\n$/,
    );
  });

  it('drops log lines, not answers, for a reader that stalls, and still stops', async () => {
    const served = await serve([HOSTING, '--listen', '127.0.0.1:0', '--workers', '1', '--log', '-'], {
      readStdout: false,
    });
    // Several times what a pipe and the log's queue hold together (about 1.1 MB, 200 octets a line).
    const answered = await blast(served.port, 12_000);
    expect(answered).toBeGreaterThan(10_000);
    expect(await resolver(served.port).resolve4('store1.mail.hostco.example')).toEqual(['203.0.113.11']);
    served.child.kill('SIGTERM');
    expect(await served.exit()).toBe(0);
    const dropped = /the query log dropped (\d+) of (\d+) entries/.exec(served.stderr());
    expect(dropped, served.stderr()).not.toBeNull();
    expect(Number(dropped![1])).toBeGreaterThan(0);
    expect(Number(dropped![2])).toBe(answered + 1);
    expect(served.stderr()).toMatch(/SIGTERM: stopped\n$/);
    served.child.stdout!.resume();
  });

  it.each([[['--workers', '1']], [['--workers', '2']]])(
    'says clearly, once, when the port is taken (exit 2) %j',
    async (extra) => {
      await using blocker = await startDnsServer({ zones: FIXTURE_ZONES });
      const result = await mxplan(['dns', HOSTING, '--listen', `127.0.0.1:${blocker.port}`, ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `mxplan: cannot listen on 127.0.0.1:${blocker.port}/udp: the port is already in use; choose another port with --listen\n`,
      );
    },
  );

  it.each([
    ['--listen', 'localhost'],
    ['--listen', '127.0.0.1:70000'],
    ['--listen', '999.0.0.1:53'],
    ['--workers', '0'],
  ])('rejects %s %s (exit 2)', async (flag, value) => {
    const result = await mxplan(['dns', HOSTING, flag, value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`mxplan: ${flag} takes`));
  });
});

/** Sends `count` A queries over UDP, 100 at a time, and returns how many were answered. */
async function blast(port: number, count: number): Promise<number> {
  const socket = dgram.createSocket('udp4');
  let answered = 0;
  let waiting: (() => void) | undefined;
  let outstanding = 0;
  socket.on('message', () => {
    answered++;
    if (--outstanding === 0) waiting?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const message = query('store1.mail.hostco.example', 'A');
  for (let sent = 0; sent < count; sent += 100) {
    outstanding = Math.min(100, count - sent);
    const batch = new Promise<void>((resolve) => {
      waiting = resolve;
      setTimeout(resolve, 1000); // a lost datagram costs one second, not the test
    });
    for (let i = 0; i < outstanding; i++) socket.send(message, port, '127.0.0.1');
    await batch;
  }
  socket.close();
  return answered;
}
