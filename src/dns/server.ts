/**
 * The sockets around the responder: UDP and TCP on one port (RFC 7766 §5: TCP is not optional),
 * loopback by default.
 *
 * UDP: one datagram in, the reply sent as [client's header+question, pre-encoded tail, OPT].
 * TCP (RFC 7766 §6.2): length-prefixed messages, pipelined and answered in order; writes
 * respect backpressure; an idle or stalled connection (a partial length prefix included) is
 * closed after `tcpIdleTimeoutMs` (§6.2.3); at most `maxTcpConnections` at once (§6.2.2).
 *
 * `startDnsServer` is the single-process API (the sandbox uses it). `startDnsCluster` runs the
 * same server in several processes that share the port through node:cluster, for the CLI and
 * the benchmark: Node 20's dgram has no reusePort, so the primary's socket is handed to every
 * worker and the kernel wakes whichever worker waits.
 */
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResourceError, UsageError } from '../errors.js';
import { transferMessages } from './axfr.js';
import type { Zone } from './records.js';
import { Outcome, Responder, type FaultRule, type ResponderOptions } from './responder/chain.js';
import { clientLabel, logEntry, type QueryLog } from './responder/query-log.js';

export type { FaultRule, FaultAction } from './responder/chain.js';
export type { QueryLog, QueryLogEntry } from './responder/query-log.js';

export interface DnsServerOptions extends ResponderOptions {
  readonly zones: readonly Zone[];
  /** Default 127.0.0.1. */
  readonly address?: string;
  /** 0 (the default) picks a free port, the same for UDP and TCP. */
  readonly port?: number;
  /** Called once per query, after the reply is sent. */
  readonly log?: QueryLog;
  /** RFC 7766 §6.2.3; default 10 s. */
  readonly tcpIdleTimeoutMs?: number;
  /** RFC 7766 §6.2.2; default 256. */
  readonly maxTcpConnections?: number;
  /** Told about internal errors (a step that threw; the client got SERVFAIL). */
  readonly onError?: (error: unknown) => void;
}

export interface DnsServer extends AsyncDisposable {
  readonly address: string;
  readonly port: number;
  /** Injects failures for chosen questions (drop or SERVFAIL); undefined turns them off. */
  setFault(rule: FaultRule | undefined): void;
  /** Stops both sockets and drops open TCP connections. Idempotent. */
  close(): Promise<void>;
  /** Settles when the server has stopped, whoever stopped it. */
  readonly closed: Promise<void>;
}

const DEFAULT_ADDRESS = '127.0.0.1';
/** Attempts to find a port free for both UDP and TCP when the caller asked for any port. */
const EPHEMERAL_ATTEMPTS = 16;

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const address = options.address ?? DEFAULT_ADDRESS;
  const requestedPort = options.port ?? 0;
  if (!net.isIP(address)) throw new UsageError(`the DNS server listens on an IP address, not "${address}"`);
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
    throw new UsageError(`port ${requestedPort} is not 0-65535`);

  const responder = new Responder(options.zones, options);
  responder.onError = options.onError;
  const log = options.log;
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const maxConnections = options.maxTcpConnections ?? 256;
  const connections = new Set<net.Socket>();

  const udp = await bindUdpAndTcp(address, requestedPort);
  const { socket: udpSocket, server: tcpServer, port } = udp;

  udpSocket.on('message', (msg, rinfo) => {
    const started = log ? performance.now() : 0;
    const outcome = responder.respond(msg, 'udp');
    const x = responder.exchange;
    if (outcome === Outcome.REPLY) {
      const reply = x.opt ? [x.head, x.tail, x.opt] : x.tail.length > 0 ? [x.head, x.tail] : x.head;
      udpSocket.send(reply, rinfo.port, rinfo.address);
    }
    // A transfer over UDP never gets here as TRANSFER: the responder answers it (RFC 5936 §4.2).
    if (log)
      log(
        logEntry(
          x,
          outcome,
          clientLabel(rinfo.address, rinfo.port),
          outcome === Outcome.REPLY ? x.length : 0,
          performance.now() - started,
        ),
      );
  });
  // Send failures (a full socket buffer, say) lose one reply, as UDP may; never the server.
  udpSocket.on('error', (error) => options.onError?.(error));

  tcpServer.on('connection', (socket) => {
    if (connections.size >= maxConnections) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.setTimeout(idleMs, () => socket.destroy());
    serveTcpConnection(socket, { responder, log, idleMs, onError: options.onError });
  });

  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udpSocket.close(() => resolve())),
        new Promise<void>((resolve) => tcpServer.close(() => resolve())),
      ]);
      markClosed();
    })();
    return closing;
  };

  return {
    address,
    port,
    setFault: (rule) => {
      responder.fault = rule;
    },
    close,
    closed,
    [Symbol.asyncDispose]: close,
  };
}

interface ConnectionOptions {
  readonly responder: Responder;
  readonly log: QueryLog | undefined;
  readonly idleMs: number;
  readonly onError: ((error: unknown) => void) | undefined;
}

/**
 * Reads length-prefixed messages (RFC 1035 §4.2.2) and answers each in turn. Besides the idle
 * timer, a message that trickles in (a byte now and then, each resetting the timer) is cut off
 * once it has been incomplete for the idle timeout (RFC 7766 §6.2.3).
 */
function serveTcpConnection(socket: net.Socket, { responder, log, idleMs, onError }: ConnectionOptions): void {
  const client = clientLabel(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
  let pending: Buffer | undefined;
  let incompleteSince = 0;

  /** Answers every whole message buffered; returns how many. */
  const pump = (): number => {
    let answered = 0;
    while (pending && pending.length >= 2) {
      const size = pending.readUInt16BE(0);
      if (pending.length < 2 + size) break;
      const msg = pending.subarray(2, 2 + size);
      pending = pending.length === 2 + size ? undefined : pending.subarray(2 + size);
      answered++;
      if (!answer(msg)) {
        // The client is not reading: stop reading its queries until our replies drain.
        socket.pause();
        socket.once('drain', () => {
          socket.resume();
          pump();
        });
        break;
      }
    }
    return answered;
  };

  /** Answers one message; false when the socket asks us to wait. */
  const answer = (msg: Buffer): boolean => {
    const started = log ? performance.now() : 0;
    const outcome = responder.respond(msg, 'tcp');
    const x = responder.exchange;
    let writable = true;
    let size = 0;
    if (outcome === Outcome.REPLY) {
      const out = Buffer.allocUnsafe(2 + x.length);
      out.writeUInt16BE(x.length, 0);
      let at = 2 + x.head.copy(out, 2);
      at += x.tail.copy(out, at);
      if (x.opt) x.opt.copy(out, at);
      size = x.length;
      writable = socket.write(out);
    } else if (outcome === Outcome.TRANSFER) {
      const q = x.query;
      const opt = q.edns ? responder.optFor(0, q.dnssecOk) : undefined;
      let messages: Buffer[];
      try {
        messages = transferMessages(x.transferZone!.zone, q, opt);
      } catch (error) {
        // A record that cannot be framed: end the transfer the only way TCP allows.
        onError?.(error);
        socket.destroy();
        return false;
      }
      for (const message of messages) {
        const prefix = Buffer.allocUnsafe(2);
        prefix.writeUInt16BE(message.length, 0);
        size += message.length;
        socket.write(prefix);
        writable = socket.write(message);
      }
    }
    if (log) log(logEntry(x, outcome, client, size, performance.now() - started));
    return writable;
  };

  socket.on('data', (chunk: Buffer) => {
    pending = pending ? Buffer.concat([pending, chunk]) : chunk;
    const answered = pump();
    if (!pending) incompleteSince = 0;
    else if (answered > 0 || incompleteSince === 0) incompleteSince = performance.now();
    else if (performance.now() - incompleteSince > idleMs) socket.destroy();
  });
  // RFC 7766 §6.2.4: the client closed its side; finish what is queued, then close ours.
  socket.on('end', () => socket.end());
}

interface BoundSockets {
  readonly socket: dgram.Socket;
  readonly server: net.Server;
  readonly port: number;
}

/** Binds UDP, then TCP on the same port; with port 0, retries until one port is free for both. */
async function bindUdpAndTcp(address: string, requestedPort: number): Promise<BoundSockets> {
  for (let attempt = 1; ; attempt++) {
    const family = net.isIPv6(address) ? 6 : 4;
    const socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      // Replies go to the literal address a datagram came from; the default lookup would defer
      // every send by a tick through dns.lookup.
      lookup: (literal: string, _options: unknown, callback: (error: null, address: string, family: number) => void) =>
        callback(null, literal, family),
    });
    await listen('udp', address, requestedPort, (done) => {
      socket.once('error', done);
      socket.bind({ port: requestedPort, address }, () => {
        socket.off('error', done);
        done();
      });
    });
    const port = socket.address().port;
    const server = net.createServer();
    try {
      await listen('tcp', address, port, (done) => {
        server.once('error', done);
        server.listen({ port, host: address }, () => {
          server.off('error', done);
          done();
        });
      });
      return { socket, server, port };
    } catch (error) {
      socket.close();
      const taken =
        error instanceof ResourceError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
      if (requestedPort !== 0 || !taken || attempt >= EPHEMERAL_ATTEMPTS) throw error;
    }
  }
}

/** Runs a bind and turns its failure into a message that names the address and the cause. */
function listen(
  transport: 'udp' | 'tcp',
  address: string,
  port: number,
  bind: (done: (error?: Error) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    bind((error) => {
      if (!error) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      const where = `${clientLabel(address, port)}/${transport}`;
      const why =
        code === 'EADDRINUSE'
          ? 'the port is already in use'
          : code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : code === 'EADDRNOTAVAIL'
              ? 'the address is not on this machine'
              : error.message;
      reject(new ResourceError(`cannot listen on ${where}: ${why}`, { cause: error }));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Several processes sharing the port.

export interface DnsClusterOptions extends Omit<DnsServerOptions, 'zones'> {
  /** Worker processes; 1 runs in this process. */
  readonly workers: number;
  /** How a process gets its zones (each worker loads them itself). */
  readonly loadZones: () => Promise<readonly Zone[]>;
}

interface WorkerNote {
  readonly mxplanDns: 'listening' | 'failed';
  readonly port?: number;
  readonly message?: string;
}

/**
 * Serves with `workers` processes. Call it with the same options in the primary and in every
 * worker (the workers re-run the same program, as node:cluster does): the primary forks, waits
 * for the workers to listen and returns a handle whose close() stops them all; a worker
 * serves until the primary disconnects it.
 */
export async function startDnsCluster(options: DnsClusterOptions): Promise<DnsServer> {
  const { workers, loadZones, ...serverOptions } = options;
  if (workers <= 1 && !cluster.isWorker) return startDnsServer({ ...serverOptions, zones: await loadZones() });
  if (cluster.isWorker) return runWorker(serverOptions, loadZones);

  const address = serverOptions.address ?? DEFAULT_ADDRESS;
  const forked: ReturnType<typeof cluster.fork>[] = [];
  const fork = (): Promise<number> => {
    const worker = cluster.fork();
    forked.push(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (note: WorkerNote) => {
        if (note?.mxplanDns === 'listening') resolve(note.port!);
        if (note?.mxplanDns === 'failed') reject(new ResourceError(note.message ?? 'a DNS worker failed to start'));
      });
      worker.once('exit', (code) => reject(new ResourceError(`a DNS worker exited (code ${code}) before listening`)));
    });
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      forked.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.disconnect();
          }),
      ),
    );
  };
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

async function runWorker(
  options: Omit<DnsServerOptions, 'zones'>,
  loadZones: () => Promise<readonly Zone[]>,
): Promise<DnsServer> {
  const tell = (note: WorkerNote): void => void process.send?.(note);
  try {
    const server = await startDnsServer({ ...options, zones: await loadZones() });
    // Ctrl-C reaches the whole process group; the primary decides when workers stop.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => {});
    process.once('disconnect', () => void server.close());
    tell({ mxplanDns: 'listening', port: server.port });
    return server;
  } catch (error) {
    tell({ mxplanDns: 'failed', message: (error as Error).message });
    throw error;
  }
}
