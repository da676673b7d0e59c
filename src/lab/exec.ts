/**
 * The lab's commands: iproute2, Postfix, Dovecot and the name servers, run with their output
 * captured, in the root namespace or (`ip netns exec`) in one of the lab's. The system
 * directories are on PATH whatever the caller's is: root's tools live in /usr/sbin.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ResourceError } from '../errors.js';

export class LabError extends ResourceError {}

export interface Ran {
  /** The exit status; -1 when the command could not be started or was killed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The caller's environment with the system directories on PATH (after the caller's own). */
export const LAB_ENV: NodeJS.ProcessEnv = (() => {
  const own = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return { ...process.env, PATH: [...own, ...SYSTEM_PATH.filter((d) => !own.includes(d))].join(delimiter) };
})();

export interface RunOptions {
  /** Written to standard input, which then closes. */
  readonly input?: string | Buffer;
  readonly timeoutMs?: number;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: LAB_ENV, maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          stdout,
          stderr: stderr || (error && typeof error.code !== 'number' ? error.message : ''),
        }),
    );
    child.stdin?.on('error', () => {}); // a command may exit before reading all of it
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs a command that must succeed; its stdout, or a LabError quoting what it said. */
export async function must(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new LabError(failure(command, args, result));
  return result.stdout;
}

/**
 * Runs a command that starts a daemon and must succeed. Its output goes to a file, not a pipe:
 * a daemon keeps the descriptors it inherited, and a pipe would stay open as long as it runs.
 */
export async function mustStart(command: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const file = join(tmpdir(), `mxplan-lab-start-${process.pid}-${++started}.out`);
  const fd = openSync(file, 'w+');
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(command, args, { env: LAB_ENV, stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', () => resolve(-1));
      child.once('exit', (status) => {
        clearTimeout(timer);
        resolve(status ?? -1);
      });
    });
    const output = readFileSync(file, 'utf8');
    if (code !== 0) throw new LabError(failure(command, args, { code, stdout: output, stderr: '' }));
    return output;
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}

let started = 0;

/** The same, synchronously: for teardown at process exit, when nothing asynchronous runs any more. */
export function mustSync(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { env: LAB_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    throw new LabError(
      failure(command, args, { code: e.status ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
  }
}

function failure(command: string, args: readonly string[], result: Ran): string {
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join('; ');
  return `${[command, ...args].join(' ').slice(0, 200)} failed (exit ${result.code})${said ? `: ${said}` : ''}`;
}

/** `ip netns exec <namespace> command args...`: the command in the namespace, with its /etc/netns files. */
export function inNamespace(namespace: string, command: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', namespace, command, ...args]];
}

/**
 * The same with the host's own name (hostname(1)), in a UTS namespace of its own: daemons that
 * name the machine they run on (Dovecot's LMTP in its Received header) name the planned host,
 * as on the host itself.
 */
export function asHost(
  namespace: string,
  hostname: string,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return inNamespace(namespace, 'unshare', [
    '-u', // a UTS namespace of its own
    '--',
    'sh',
    '-c',
    'echo "$0" > /proc/sys/kernel/hostname && exec "$@"',
    hostname,
    command,
    ...args,
  ]);
}

/**
 * The same under a pseudo-terminal (script(1)): `postfix start` and `postfix check` print their
 * fatal errors only to a terminal or to syslog, and the lab's machines have no syslog, so
 * without one a failure would be silent (exit 1, nothing printed).
 */
export function withTerminal(command: string, args: readonly string[]): [string, string[]] {
  return ['script', ['-qec', [command, ...args].map(shellWord).join(' '), '/dev/null']];
}

/** Single-quoted for sh. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
