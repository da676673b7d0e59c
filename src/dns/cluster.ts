/**
 * The DNS server in several processes that share one port through node:cluster, for the CLI and
 * the benchmark: Node 20's dgram has no reusePort, so the primary's socket is handed to every
 * worker and the kernel wakes whichever worker waits.
 *
 * Stopping: the primary asks each worker to stop; the worker closes its own sockets and
 * connections, then leaves the cluster and exits once its work (a log being written) is done.
 * (Disconnecting a worker from the primary instead closes its shared handles under it, and its
 * server then finds its sockets gone.) A worker that does not exit in time is killed.
 */
import cluster, { type Worker } from 'node:cluster';
import { ResourceError } from '../errors.js';
import type { Zone } from './records.js';
import { DEFAULT_ADDRESS, ListenError, startDnsServer, type DnsServer, type DnsServerOptions } from './server.js';

export interface DnsClusterOptions extends Omit<DnsServerOptions, 'zones'> {
  /** Worker processes; 1 runs in this process. */
  readonly workers: number;
  /** How a process gets its zones (each worker loads them itself). */
  readonly loadZones: () => Promise<readonly Zone[]>;
}

/**
 * A worker ended before it listened. `signal` names the signal that ended it: Ctrl-C reaches the
 * whole process group, and can end a worker that has not yet set its handlers.
 */
export class WorkerExitError extends ResourceError {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(`a DNS worker ${signal ? `was ended by ${signal}` : `exited (code ${code})`} before listening`);
  }
}

/** How long a worker may take to stop before it is killed. */
const STOP_GRACE_MS = 5000;

/** Messages between the primary and its workers. */
type Note =
  | { readonly mxplanDns: 'listening'; readonly port: number }
  | {
      readonly mxplanDns: 'failed';
      readonly message: string;
      readonly listen?: Pick<ListenError, 'reason' | 'address' | 'port' | 'transport' | 'detail'> & {
        /** The errno behind it, so the primary's error says what the system said, as a worker's would. */
        readonly code?: string;
      };
    }
  | { readonly mxplanDns: 'stop' };

/**
 * Serves with `workers` processes. Call it with the same options in the primary and in every
 * worker (the workers re-run the same program, as node:cluster does): the primary forks, waits
 * for the workers to listen and returns a handle whose close() stops them all; a worker serves
 * until the primary tells it to stop, or goes away.
 */
export async function startDnsCluster(options: DnsClusterOptions): Promise<DnsServer> {
  const { workers, loadZones, ...serverOptions } = options;
  if (workers <= 1 && !cluster.isWorker) return startDnsServer({ ...serverOptions, zones: await loadZones() });
  if (cluster.isWorker) return runWorker(serverOptions, loadZones);

  const address = serverOptions.address ?? DEFAULT_ADDRESS;
  const forked: Worker[] = [];
  const listening = new Set<Worker>();
  const fork = (): Promise<number> => {
    const worker = cluster.fork();
    forked.push(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (note: Note) => {
        if (note?.mxplanDns === 'listening') {
          listening.add(worker);
          resolve(note.port);
        }
        if (note?.mxplanDns === 'failed') reject(workerFailure(note));
      });
      worker.once('exit', (code, signal) => reject(new WorkerExitError(code, signal as NodeJS.Signals | null)));
    });
  };
  const stopAll = (): Promise<void> =>
    Promise.all(forked.map((worker) => stopWorker(worker, listening.has(worker)))).then(() => undefined);
  try {
    // Every worker binds the same (address, port) key, port 0 included: the primary binds it
    // once and shares the handle, so all workers end up on one port.
    const ports = await Promise.all(Array.from({ length: workers }, () => fork()));
    const port = ports[0]!;
    if (ports.some((p) => p !== port))
      throw new ResourceError(`DNS workers ended up on different ports (${ports.join(', ')})`);
    let closing: Promise<void> | undefined;
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const close = (): Promise<void> => (closing ??= stopAll().then(markClosed));
    // A worker that dies takes the service with it: stop the rest and say so through `closed`.
    for (const worker of forked) worker.once('exit', () => void close());
    // Faults are a sandbox tool, and the sandbox runs one process: the workers ignore them.
    return { address, port, setFault: () => {}, close, closed, [Symbol.asyncDispose]: close };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Asks a worker to stop and waits for it to exit, killing it after STOP_GRACE_MS. A worker still
 * starting is killed at once: it serves no one yet, and could not hear the request.
 */
function stopWorker(worker: Worker, listening: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    if (worker.isDead()) return resolve();
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), listening ? STOP_GRACE_MS : 0);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (!listening || !worker.isConnected()) return;
    // The channel may close under us (the worker is exiting anyway): 'exit' settles it.
    worker.send({ mxplanDns: 'stop' } satisfies Note, (error: Error | null) => {
      if (error) worker.process.kill('SIGKILL');
    });
  });
}

function workerFailure(note: Extract<Note, { mxplanDns: 'failed' }>): ResourceError {
  const l = note.listen;
  if (!l) return new ResourceError(note.message);
  const cause = l.code ? Object.assign(new Error(l.detail), { code: l.code, syscall: 'bind' }) : undefined;
  return new ListenError(l.reason, l.address, l.port, l.transport, l.detail, cause && { cause });
}

/**
 * Ctrl-C reaches the whole process group; the primary decides when workers stop. A worker calls
 * this as early as it can (the CLI before it loads the plan), and again here, harmlessly.
 */
export function ignoreStopSignals(): void {
  if (process.listenerCount('SIGINT') === 0) process.on('SIGINT', () => {});
  if (process.listenerCount('SIGTERM') === 0) process.on('SIGTERM', () => {});
}

async function runWorker(
  options: Omit<DnsServerOptions, 'zones'>,
  loadZones: () => Promise<readonly Zone[]>,
): Promise<DnsServer> {
  const tell = (note: Note): void => void process.send?.(note);
  try {
    ignoreStopSignals();
    const server = await startDnsServer({ ...options, zones: await loadZones() });
    const stop = (): void =>
      void server.close().then(() => {
        // Leaving through cluster marks the exit as intended, so the worker ends when its work
        // is done instead of at once; and the channel no longer holds the process open.
        if (cluster.worker?.isConnected()) cluster.worker.disconnect();
      });
    process.on('message', (note: Note) => {
      if (note?.mxplanDns === 'stop') stop();
    });
    // The primary went away without asking (killed): node:cluster ends the worker itself.
    tell({ mxplanDns: 'listening', port: server.port });
    return server;
  } catch (error) {
    const listen =
      error instanceof ListenError
        ? {
            reason: error.reason,
            address: error.address,
            port: error.port,
            transport: error.transport,
            detail: error.detail,
            code: (error.cause as NodeJS.ErrnoException | undefined)?.code,
          }
        : undefined;
    tell({ mxplanDns: 'failed', message: (error as Error).message, listen });
    throw error;
  }
}
