/**
 * The sockets around the responder: UDP and TCP on one port (RFC 7766 §5: TCP is not optional),
 * loopback by default.
 *
 * UDP (datagrams.ts): one datagram in, the reply sent as [client's header+question, pre-encoded
 * tail, OPT], with the other replies to the same burst of datagrams.
 * TCP (RFC 7766 §6.2): length-prefixed messages, pipelined and answered in order; writes
 * respect backpressure; an idle or stalled connection (a partial length prefix included) is
 * closed after `tcpIdleTimeoutMs` (§6.2.3); at most `maxTcpConnections` at once (§6.2.2), the
 * idle connection that waited longest making room for a new one (tcp-connections.ts).
 *
 * `startDnsServer` is the single-process API (the sandbox uses it); cluster.ts runs it in several
 * processes. A socket that cannot be bound is a ListenError saying why; which flag chooses
 * another address is the caller's to say.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResourceError } from '../errors.js';
import { transferMessages } from './axfr.js';
import type { Zone } from './records.js';
import { Outcome, Responder, type FaultRule, type ResponderOptions } from './responder/chain.js';
import { clientLabel, logEntry, type QueryLog } from './responder/query-log.js';
import { TcpConnections, type TcpConnection } from './tcp-connections.js';
import { takeDatagrams } from './datagrams.js';

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
  /** RFC 7766 §6.2.3: the idle timeout above half of maxTcpConnections; default 1 s (at most tcpIdleTimeoutMs). */
  readonly tcpBusyIdleTimeoutMs?: number;
  /** RFC 7766 §6.2.2; default 256. */
  readonly maxTcpConnections?: number;
  /** Reads and writes UDP through dgram's public API only (datagrams.ts); for tests. */
  readonly udpPublicApi?: boolean;
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

/**
 * The server of one process. It can swap its zones at once; several processes (cluster.ts)
 * cannot all at the same instant, so they do not offer it.
 */
export interface LocalDnsServer extends DnsServer {
  /** Serves these zones instead: each answer is wholly from the old zones or wholly from the new (Responder.replaceZones). */
  replaceZones(zones: readonly Zone[]): void;
}

export const DEFAULT_ADDRESS = '127.0.0.1';
/** Attempts to find a port free for both UDP and TCP when the caller asked for any port. */
const EPHEMERAL_ATTEMPTS = 16;

export async function startDnsServer(options: DnsServerOptions): Promise<LocalDnsServer> {
  const address = options.address ?? DEFAULT_ADDRESS;
  const requestedPort = options.port ?? 0;
  if (!net.isIP(address))
    throw new ListenError('not-an-address', address, requestedPort, undefined, `"${address}" is not an IP address`);
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
    throw new ListenError('bad-port', address, requestedPort, undefined, `port ${requestedPort} is not 0-65535`);

  const responder = new Responder(options.zones, options);
  responder.onError = options.onError;
  const log = options.log;
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const connections = new TcpConnections({
    max: Math.max(1, options.maxTcpConnections ?? 256),
    idleMs,
    busyIdleMs: Math.min(idleMs, options.tcpBusyIdleTimeoutMs ?? 1000),
  });

  const udp = await bindUdpAndTcp(address, requestedPort);
  const { socket: udpSocket, server: tcpServer, port } = udp;

  // The reply's parts: the client's header and question, the shared tail, the OPT (RFC 6891 §7).
  const none = Buffer.alloc(0);
  const parts: Buffer[] = [none, none, none];
  const datagrams = takeDatagrams(
    udpSocket,
    (msg, clientAddress, clientPort) => {
      const started = log ? performance.now() : 0;
      const outcome = responder.respond(msg, 'udp');
      const x = responder.exchange;
      // RFC 768: a source port of 0 is "not used", so there is nowhere to reply to.
      if (outcome === Outcome.REPLY && clientPort !== 0) {
        let count = 0;
        parts[count++] = x.head;
        if (x.tail.length > 0) parts[count++] = x.tail;
        if (x.opt) parts[count++] = x.opt;
        datagrams.send(parts, count, clientPort, clientAddress);
      }
      // A transfer over UDP never gets here as TRANSFER: the responder answers it (RFC 5936 §4.2).
      if (log)
        log(
          logEntry(
            x,
            outcome,
            clientLabel(clientAddress, clientPort),
            outcome === Outcome.REPLY ? x.length : 0,
            performance.now() - started,
          ),
        );
    },
    // A send the kernel refuses (a full socket buffer, say) loses one reply, as UDP may; never the server.
    (error) => options.onError?.(error),
    { publicApi: options.udpPublicApi },
  );

  tcpServer.on('connection', (socket) => {
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    serveTcpConnection(connections.admit(socket), { connections, responder, log, onError: options.onError });
  });

  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      connections.closeAll();
      datagrams.flush();
      await Promise.all([closeQuietly(udpSocket), closeQuietly(tcpServer)]);
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
    replaceZones: (zones) => responder.replaceZones(zones),
    close,
    closed,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Closes a socket that may already be closed: node:cluster closes a worker's shared handles
 * itself when the worker disconnects, and dgram's close() then throws.
 */
function closeQuietly(socket: dgram.Socket | net.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

interface ConnectionOptions {
  readonly connections: TcpConnections;
  readonly responder: Responder;
  readonly log: QueryLog | undefined;
  readonly onError: ((error: unknown) => void) | undefined;
}

/**
 * Reads length-prefixed messages (RFC 1035 §4.2.2) and answers each in turn. Besides the idle
 * timer, a message that trickles in (a byte now and then, each resetting the timer) is cut off
 * once it has been incomplete for the idle timeout (RFC 7766 §6.2.3).
 */
function serveTcpConnection(
  connection: TcpConnection,
  { connections, responder, log, onError }: ConnectionOptions,
): void {
  const socket = connection.socket;
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
    if (answered > 0) connections.touch(connection);
    if (!pending) incompleteSince = 0;
    else if (answered > 0 || incompleteSince === 0) incompleteSince = performance.now();
    else if (performance.now() - incompleteSince > connection.idleMs) socket.destroy();
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
      const taken = error instanceof ListenError && error.reason === 'in-use';
      if (requestedPort !== 0 || !taken || attempt >= EPHEMERAL_ATTEMPTS) throw error;
    }
  }
}

/** Why a socket could not be bound. */
export type ListenFailure = 'in-use' | 'permission' | 'not-local' | 'not-an-address' | 'bad-port' | 'other';

const LISTEN_FAILURES: Readonly<Record<string, ListenFailure>> = {
  EADDRINUSE: 'in-use',
  EACCES: 'permission',
  EADDRNOTAVAIL: 'not-local',
};

const WHY: Readonly<Record<ListenFailure, string | undefined>> = {
  'in-use': 'the port is already in use',
  permission: 'permission denied (ports below 1024 need privileges)',
  'not-local': 'the address is not on this machine',
  'not-an-address': undefined,
  'bad-port': undefined,
  other: undefined,
};

/** The server cannot listen where it was asked to; `reason` says why, for the caller to advise. */
export class ListenError extends ResourceError {
  constructor(
    readonly reason: ListenFailure,
    readonly address: string,
    readonly port: number,
    readonly transport: 'udp' | 'tcp' | undefined,
    /** What the system said, or what is wrong with the address. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    const where = `${clientLabel(address, port)}${transport ? `/${transport}` : ''}`;
    super(`cannot listen on ${where}: ${WHY[reason] ?? detail}`, options);
  }
}

/** Runs a bind and turns its failure into a ListenError that names the address and the cause. */
function listen(
  transport: 'udp' | 'tcp',
  address: string,
  port: number,
  bind: (done: (error?: Error) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    bind((error) => {
      if (!error) return resolve();
      const reason = LISTEN_FAILURES[(error as NodeJS.ErrnoException).code ?? ''] ?? 'other';
      reject(new ListenError(reason, address, port, transport, error.message, { cause: error }));
    });
  });
}
