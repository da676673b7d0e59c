/**
 * When mxplan cannot do its job, one line says why and what to do, with exit 2; a stack is for
 * internal errors only. A reader that goes away (`| head`) ends mxplan quietly, as it ends any
 * Unix filter: by SIGPIPE, never "the plan has problems" (1).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { mxplan, ROOT } from '../helpers/cli.js';

afterAll(removeTempDirs);

const BUILDING = join(ROOT, 'examples/building/topology.yaml');
const HOSTING = join(ROOT, 'examples/hosting/topology.yaml');

describe('a closed output', () => {
  it.each([['rules'], ['records', HOSTING, '--format', 'json'], ['lint', HOSTING, '--format', 'sarif'], ['--help']])(
    'ends mxplan %s quietly by SIGPIPE',
    async (...args) => {
      const result = await mxplan(args, { closeStdout: true });
      expect(result.stderr).toBe('');
      expect(result.signal).toBe('SIGPIPE');
    },
  );

  it('that cannot be written is one line and exit 2', async () => {
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [join(ROOT, 'bin/mxplan.js'), 'rules'], { stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number];
    expect(stderr).toBe('mxplan: cannot write the output: no space left on the device\n');
    expect(code).toBe(2);
  });

  it('does not stop a sandbox: it goes on serving', async () => {
    const state = join(await tempDir('closed-output'), 'state');
    const child = spawn(process.execPath, [join(ROOT, 'bin/mxplan.js'), 'sandbox', BUILDING, '--state', state], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    const endpoints = join(state, 'endpoints.json');
    while (!existsSync(endpoints) && child.exitCode === null) await sleep(50);
    // Something to print: the control answer meets the closed output.
    child.stdin.write('status\n');
    const { hosts } = JSON.parse(await readFile(endpoints, 'utf8')) as { hosts: Record<string, { port: number }> };
    await sleep(300);
    expect(child.exitCode).toBe(null);
    expect(await greeting(hosts.mail1!.port)).toMatch(/^220 /);
    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'close')) as [number, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});

describe('an environment error', () => {
  it('names the path, what the system said and what to do, for an unwritable --out', async () => {
    const dir = await tempDir('unwritable');
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory\n');
    const cases: [string, RegExp][] = [
      [
        join(file, 'zones'),
        /^mxplan: cannot use .*a-file\/zones as the output directory: a part of the path is a file, not a directory; choose another path with --out\n$/,
      ],
      // Writing under /sys is refused to root too (EPERM), and to everyone else (EACCES).
      [
        '/sys/mxplan-zones',
        /^mxplan: cannot write the zones to \/sys\/mxplan-zones: (operation not permitted|permission denied); choose another path with --out, or change its permissions\n$/,
      ],
    ];
    for (const [out, message] of cases) {
      const result = await mxplan(['zones', BUILDING, '--out', out]);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
    }
  });

  it('names the path for an unusable --state', async () => {
    const dir = await tempDir('unwritable');
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory\n');
    const result = await mxplan(['sandbox', BUILDING, '--state', file]);
    expect(result.stderr).toBe(
      `mxplan: cannot use ${file} as the state directory: a file is in the way; remove it, or choose another path with --state\n`,
    );
    expect(result.code).toBe(2);
    const nested = await mxplan(['sandbox', BUILDING, '--state', join(file, 'state')]);
    expect(nested.stderr).toMatch(
      /: a part of the path is a file, not a directory; choose another path with --state\n$/,
    );
    expect(nested.code).toBe(2);
  });

  it('says "no space left" for a full disk under -o', async () => {
    const result = await mxplan(['lint', BUILDING, '-o', '/dev/full']);
    expect(result.stderr).toBe(
      'mxplan: cannot write the report to /dev/full: no space left on the device; free some space, or choose another path on another file system with --output-file\n',
    );
    expect(result.code).toBe(2);
  });

  it('names the flag that chooses the port, when a port is taken', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    const { port } = taken.address();
    try {
      const state = join(await tempDir('busy'), 'state');
      const result = await mxplan(['sandbox', BUILDING, '--state', state, '--dns-port', String(port)]);
      expect(result.stderr).toBe(
        `mxplan: cannot listen on 127.0.0.1:${port}/udp: the port is already in use; choose another port with --dns-port\n`,
      );
      expect(result.code).toBe(2);
    } finally {
      taken.close();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first line an SMTP server says. */
async function greeting(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString();
}
