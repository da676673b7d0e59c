/**
 * Sockets opened inside one of the lab's namespaces (sockets-helper.ts runs there), for the
 * lab's own process: verify's sender dials the planned hosts from the outside this way, the
 * DNS forwarder asks the name servers, and a user logs in at a store from the store itself.
 */
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { Helper } from './ipc.js';
import type { Accepted, ConnectArgs, ListenArgs } from './sockets-helper.js';

/** Longer than any caller waits: a connection through a cut link is given up here at the latest. */
export const DIAL_LIMIT_MS = 30_000;

export class NamespaceSockets {
  private listeners = 0;

  private constructor(private readonly helper: Helper) {}

  static async start(namespace: string): Promise<NamespaceSockets> {
    return new NamespaceSockets(await Helper.start(namespace, 'sockets', {}));
  }

  get namespace(): string {
    return this.helper.namespace;
  }

  /** A TCP connection from the namespace; rejects as net.connect fails there (ECONNREFUSED, ETIMEDOUT, ENETUNREACH). */
  async connect(address: string, port: number, timeoutMs = DIAL_LIMIT_MS): Promise<Socket> {
    const args: ConnectArgs = { address, port, timeoutMs: Math.min(timeoutMs, DIAL_LIMIT_MS) };
    const { handle } = await this.helper.callWithHandle('connect', args);
    return handle as Socket;
  }

  /**
   * Listens in the namespace; each connection comes to `onConnection` unread, with its peer as
   * the listener saw it there. Until stop().
   */
  async listen(
    address: string,
    port: number,
    onConnection: (socket: Socket, remote: Accepted['remote']) => void,
  ): Promise<void> {
    const args: ListenArgs = { id: ++this.listeners, address, port };
    // Heard before the call returns: a connection may come before its answer.
    this.helper.onEvent((event, handle) => {
      const accepted = event as Partial<Accepted>;
      if (handle && accepted.accepted === args.id) onConnection(handle as Socket, accepted.remote!);
    });
    await this.helper.call('listen', args);
  }

  /** A UDP socket bound in the namespace, of one address family. */
  async udp(family: 4 | 6): Promise<DgramSocket> {
    const { handle } = await this.helper.callWithHandle('udp', { family });
    return handle as DgramSocket;
  }

  stop(): Promise<void> {
    return this.helper.stop();
  }
}
