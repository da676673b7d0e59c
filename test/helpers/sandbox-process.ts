/**
 * `mxplan sandbox` as a child process, driven the way a person would drive it: wait for its
 * table, type control lines on its stdin, read Maildirs under its state directory, kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface Endpoints {
  readonly dns: { address: string; port: number };
  readonly hosts: Record<string, { fqdn: string; planned: string[]; address: string; port: number }>;
}

export interface SandboxProcess {
  readonly child: ChildProcess;
  readonly endpoints: Endpoints;
  /** The dashboard's URL with its token, when started with --ui. */
  readonly dashboard: string | undefined;
  /** Everything it printed so far. */
  output(): string;
  /** Types a control line and waits for the answer that matches. */
  control(line: string, answer: RegExp): Promise<void>;
  /** Waits until its output matches (after what was there when called). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export async function startSandboxProcess(
  topology: string,
  stateDir: string,
  args: readonly string[] = [],
  /** Run it as this user (a test running as root starts it as an ordinary one). */
  as?: { readonly uid: number; readonly gid: number },
): Promise<SandboxProcess> {
  const bin = join(ROOT, 'bin', 'mxplan.js');
  const child = spawn(process.execPath, [bin, 'sandbox', topology, '--state', stateDir, ...args], {
    cwd: ROOT,
    ...(as && { uid: as.uid, gid: as.gid }),
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000, from = 0) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(out.slice(from))) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`sandbox never printed ${pattern}; it printed:\n${out}`));
      }, timeoutMs);
      waiters.add(check);
      void exited.then(() => check());
      check();
    });

  await Promise.race([
    waitForOutput(/Ctrl-C stops/),
    exited.then((code) => Promise.reject(new Error(`sandbox exited ${code}:\n${out}`))),
  ]);
  const endpoints = JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as Endpoints;
  return {
    child,
    endpoints,
    dashboard: /^dashboard: (http:\/\/\S+)$/m.exec(out)?.[1],
    output: () => out,
    async control(line, answer) {
      const from = out.length;
      child.stdin.write(`${line}\n`);
      await waitForOutput(answer, 20_000, from);
    },
    waitForOutput: (pattern, timeoutMs) => waitForOutput(pattern, timeoutMs, out.length),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls until `probe` returns a value that `done` accepts; throws (with the last value) after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not there after ${timeoutMs} ms; last seen: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
