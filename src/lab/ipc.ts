/**
 * The lab's helper processes: a Node process started in one of the lab's namespaces with
 * `ip netns exec`, talking to the lab over Node's IPC channel (child.ts is its entry). Sockets
 * are opened where a process runs, so what must happen inside a namespace (listening at a
 * planned address, dialling from the outside) happens in such a helper; a socket it opens can be
 * handed to the lab's process over the same channel (SCM_RIGHTS) and used there as if opened there.
 *
 * Messages are structured clones ('advanced' serialization): plans, zones and buffers cross as
 * they are. A call is { id, op, args }; its answer { id, ok, result | error }, with a handle when
 * the result is a socket; { event } is anything the helper reports unasked, in order (with a
 * handle when it is a connection the helper accepted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket as DgramSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_ENV, LabError } from './exec.js';

export type Handle = Socket | Server | DgramSocket;

interface Call {
  readonly id: number;
  readonly op: string;
  readonly args: unknown;
}

type Answer =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly message: string; readonly code?: string } };

type Unasked = { readonly event: unknown } | { readonly ready: true } | { readonly failed: string };

export type HelperRole = 'sockets' | 'relay' | 'dns' | 'receiver' | 'web';

/**
 * The helper's entry: child.js beside this file when running from dist/, or dist/lab/child.js
 * when this file runs from its TypeScript source (tests): a helper is always built code.
 */
function childEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const entry = here.endsWith('.ts')
    ? join(dirname(here), '..', '..', 'dist', 'lab', 'child.js')
    : join(dirname(here), 'child.js');
  if (!existsSync(entry)) throw new LabError(`the lab's helper ${entry} is missing (npm run build)`);
  return entry;
}

export class Helper {
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (answer: { result: unknown; handle?: Handle }) => void; reject: (error: Error) => void }
  >();
  private readonly listeners = new Set<(event: unknown, handle?: Handle) => void>();
  private stderr = '';
  /** Settles when the helper has exited, with its exit code (null after a signal). */
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly namespace: string,
    readonly role: HelperRole,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on('message', (message: Answer | Unasked, handle?: Handle) => {
      if ('event' in message) {
        // A socket handed with an event (an accepted connection) is its listener's; unheard, it is closed.
        if (handle && this.listeners.size === 0) (handle as { destroy?(): void }).destroy?.();
        for (const listener of this.listeners) listener(message.event, handle);
        return;
      }
      if (!('id' in message)) return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (!waiter) {
        (handle as { destroy?(): void; close?(): void } | undefined)?.destroy?.();
        return;
      }
      if (message.ok) waiter.resolve(handle ? { result: message.result, handle } : { result: message.result });
      else waiter.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
    });
    void this.exited.then((code) => {
      const error = new LabError(
        `the lab's ${role} helper in ${namespace} exited (${code ?? 'killed'})${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
      );
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    });
  }

  /** Starts a helper in a namespace and waits until it has done what `init` asks. */
  static async start(namespace: string, role: HelperRole, init: unknown): Promise<Helper> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, childEntry(), role], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: LAB_ENV,
    });
    const helper = new Helper(child, namespace, role);
    const started = new Promise<void>((resolve, reject) => {
      const onMessage = (message: Unasked) => {
        if ('ready' in message) resolve();
        else if ('failed' in message) reject(new LabError(message.failed));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      void helper.exited.then((code) =>
        reject(
          new LabError(
            `the lab's ${role} helper in ${namespace} did not start (exit ${code ?? 'killed'})${
              helper.stderr ? `: ${helper.stderr.trim()}` : ''
            }`,
          ),
        ),
      );
    });
    child.send({ init });
    try {
      await started;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return helper;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls an operation of the helper; rejects with its error (and its `code`). */
  async call<T = unknown>(op: string, args?: unknown): Promise<T> {
    return (await this.callWithHandle<T>(op, args)).result;
  }

  /** The same, for an operation that answers with a socket. */
  callWithHandle<T = unknown>(op: string, args?: unknown): Promise<{ result: T; handle?: Handle }> {
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new LabError(`the lab's ${this.role} helper in ${this.namespace} is not running`));
        return;
      }
      const id = ++this.next;
      this.waiting.set(id, {
        resolve: resolve as (answer: { result: unknown; handle?: Handle }) => void,
        reject,
      });
      const call: Call = { id, op, args };
      this.child.send(call, (error) => {
        if (!error) return;
        this.waiting.delete(id);
        reject(error);
      });
    });
  }

  /** Adds a listener to what the helper reports unasked; a handle comes with an accepted connection. */
  onEvent(listener: (event: unknown, handle?: Handle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the helper to finish (`stop`), then waits for it; kills it if it does not go within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.call('stop').catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills it at once (a host that dies). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

// The helper's side (child.ts).

/** An operation of a helper: its result, or a socket with it (withHandle). */
export type Operation = (args: never) => Promise<unknown>;

interface Handed {
  readonly result: unknown;
  readonly handle: Handle;
  /** Runs once the handle is on its way (its descriptor duplicated into the message). */
  readonly afterSend?: () => void;
  readonly [HANDLE]: true;
}

/** A result that carries a socket to hand over. */
export function withHandle(result: unknown, handle: Handle, afterSend?: () => void): Handed {
  return { result, handle, ...(afterSend && { afterSend }), [HANDLE]: true };
}

const HANDLE = Symbol('handle');

/** Serves the lab's calls in a helper process; `stop` is always an operation, and ends the process. */
export function serve(operations: Record<string, Operation>, stop: () => Promise<void>): void {
  const send = (message: unknown, handle?: Handle, then?: () => void) =>
    process.send!(message, handle as Socket | undefined, undefined, then ? () => then() : undefined);
  // The lab's process is gone (killed): nobody is left to ask for anything.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  process.on('message', (message: Call) => {
    if (typeof message?.id !== 'number') return;
    const { id, op, args } = message;
    const operation = op === 'stop' ? stop : operations[op];
    if (!operation) {
      send({ id, ok: false, error: { message: `no operation "${op}"` } });
      return;
    }
    (operation as (a: unknown) => Promise<unknown>)(args).then(
      (value) => {
        const handed = value as Partial<Handed> | undefined;
        if (handed?.[HANDLE]) send({ id, ok: true, result: handed.result }, handed.handle, handed.afterSend);
        else send({ id, ok: true, result: value }, undefined, op === 'stop' ? () => process.exit(0) : undefined);
      },
      (error: NodeJS.ErrnoException) =>
        send({ id, ok: false, error: { message: error.message, ...(error.code && { code: error.code }) } }),
    );
  });
}

/** Reports something the lab did not ask for (an event), in order; with a socket to hand over, if any. */
export function report(event: unknown, handle?: Handle): void {
  process.send?.({ event }, handle as Socket | undefined);
}
