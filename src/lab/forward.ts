/**
 * Loopback forwarders in the root namespace, for clients that can only be given an address and
 * a port (c-ares, an IMAP library, a person's swaks): each listens on 127.0.0.1 and joins what
 * it receives to a socket that the lab opened inside one of its namespaces (sockets-helper.ts).
 * Nothing here dials anything but loopback: the lab's addresses are reached only from inside.
 *
 * A forwarder answers the handshake itself, so behind it a refused or timed-out connection to a
 * host shows as a connection reset or as silence; Connector.dial (lab.ts) gives the host's own
 * answer and is what verify uses for SMTP.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { canonicalIP, familyOf } from '../topology/ip.js';
import type { Endpoint } from '../sandbox/engine.js';
import { LabError } from './exec.js';

export const LOOPBACK = '127.0.0.1';

export interface Forwarder {
  readonly endpoint: Endpoint;
  close(): Promise<void>;
}

/** Every connection to the forwarder is joined to a connection `dial` opens. */
export async function tcpForwarder(dial: () => Promise<Socket>, port = 0): Promise<Forwarder> {
  const open = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    dial().then(
      (upstream) => join(client, upstream, open),
      // The host refused, or could not be reached: as close as a forwarder can come to saying so.
      () => client.resetAndDestroy(),
    );
  });
  await listen(server, port);
  return {
    endpoint: { host: LOOPBACK, port: (server.address() as AddressInfo).port },
    close: () => closeServer(server, open),
  };
}

/** How the DNS forwarder reaches the name servers: sockets opened in the outside. */
export interface Upstream {
  udp(family: 4 | 6): Promise<DgramSocket>;
  dial(address: string, port: number): Promise<Socket>;
}

interface Pending {
  readonly client: { readonly address: string; readonly port: number };
  /** The name server asked: only its reply is taken. */
  readonly server: string;
  readonly id: number;
  readonly expires: number;
}

/**
 * DNS over UDP and TCP at one loopback port, asking the given name servers on port 53 from the
 * outside. A query is sent with an id of the forwarder's own and answered with the client's.
 * The same query again (a client's retry) goes to the next server, as a stub resolver moves on
 * through its list; TCP connections go to the first.
 */
export async function dnsForwarder(upstream: Upstream, servers: readonly string[]): Promise<Forwarder> {
  if (servers.length === 0) throw new LabError('a DNS forwarder needs a name server');
  const sockets = new Map<4 | 6, DgramSocket>();
  for (const family of new Set(servers.map((s) => familyOf(s)!))) sockets.set(family, await upstream.udp(family));
  const pending = new Map<number, Pending>();
  const attempts = new Map<string, number>();

  const open = new Set<Socket>();
  const tcp = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    upstream.dial(servers[0]!, 53).then(
      (socket) => join(client, socket, open),
      () => client.resetAndDestroy(),
    );
  });
  const local = await bindBoth(tcp);
  local.on('message', (message, client) => {
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const now = Date.now();
    for (const [key, p] of pending) if (p.expires < now) pending.delete(key);
    const key = `${client.port} ${id}`;
    const attempt = attempts.get(key) ?? 0;
    attempts.set(key, attempt + 1);
    if (attempts.size > 4096) attempts.clear();
    const server = servers[attempt % servers.length]!;
    let ours = randomInt(65536);
    while (pending.has(ours)) ours = randomInt(65536);
    pending.set(ours, { client: { address: client.address, port: client.port }, server, id, expires: now + 10_000 });
    const copy = Buffer.from(message);
    copy.writeUInt16BE(ours, 0);
    sockets.get(familyOf(server)!)!.send(copy, 53, server);
  });
  for (const socket of sockets.values()) {
    socket.on('error', () => {});
    socket.on('message', (message, from) => {
      if (message.length < 12) return;
      const waiting = pending.get(message.readUInt16BE(0));
      if (!waiting || canonicalIP(from.address) !== canonicalIP(waiting.server) || from.port !== 53) return;
      pending.delete(message.readUInt16BE(0));
      const copy = Buffer.from(message);
      copy.writeUInt16BE(waiting.id, 0);
      local.send(copy, waiting.client.port, waiting.client.address);
    });
  }

  return {
    endpoint: { host: LOOPBACK, port: local.address().port },
    async close() {
      await closeServer(tcp, open);
      for (const socket of [local, ...sockets.values()]) await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}

/** Joins a client's connection to the one opened for it, both ways; either closing closes both. */
function join(client: Socket, upstream: Socket, open: Set<Socket>): void {
  if (client.destroyed) {
    upstream.destroy();
    return;
  }
  open.add(upstream);
  upstream.on('error', () => upstream.destroy());
  upstream.once('close', () => {
    open.delete(upstream);
    client.destroy();
  });
  client.once('close', () => upstream.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}

/** A UDP socket on 127.0.0.1 and `tcp` listening on the same port (RFC 7766: TCP at the address UDP used). */
async function bindBoth(tcp: Server): Promise<DgramSocket> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    udp.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, LOOPBACK, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    try {
      await listen(tcp, udp.address().port);
      return udp;
    } catch (error) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt >= 16) throw error;
    }
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server, open: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of open) socket.destroy();
    server.close(() => resolve());
  });
}
