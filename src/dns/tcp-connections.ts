/**
 * The open TCP connections of one server, and how it keeps serving new clients when there are
 * too many (RFC 7766 §6.2.3, §10: a server may close idle connections, and should shorten its
 * idle timeout when resources run low).
 *
 * - The connections form a list ordered by when each last had a query answered (or was
 *   accepted): the head has waited longest.
 * - At `max`, a new connection is always taken in, and the one that has waited longest is closed
 *   for it: the first from the head with nothing of ours still being written (a transfer in
 *   progress is not idle), or else the head. Idle connections held open by a slow-connection
 *   attack thus make room for every newcomer instead of locking TCP out.
 * - Above half of `max` (as NSD does), connections get `busyIdleMs` instead of `idleMs`: those
 *   open at that moment, and every one accepted until the count is back to a quarter.
 *
 * A query answered moves its connection to the tail: a few pointer writes, no allocation.
 */
import type net from 'node:net';

export interface ConnectionLimits {
  /** At most this many connections at once. */
  readonly max: number;
  /** Idle timeout (also for a message that trickles in). */
  readonly idleMs: number;
  /** Idle timeout while above half of `max`. */
  readonly busyIdleMs: number;
}

export class TcpConnection {
  /** The idle timeout this connection has now. */
  idleMs: number;
  prev: TcpConnection | undefined;
  next: TcpConnection | undefined;
  /** False once it has left the table (closed, or chosen to make room). */
  listed = true;

  constructor(
    readonly socket: net.Socket,
    idleMs: number,
  ) {
    this.idleMs = idleMs;
  }
}

export class TcpConnections {
  private head: TcpConnection | undefined;
  private tail: TcpConnection | undefined;
  private count = 0;
  private busy = false;

  constructor(private readonly limits: ConnectionLimits) {}

  get size(): number {
    return this.count;
  }

  /** Takes in a new connection, closing the one that has waited longest when at the limit. */
  admit(socket: net.Socket): TcpConnection {
    if (this.count >= this.limits.max) this.makeRoom();
    const connection = new TcpConnection(socket, this.busy ? this.limits.busyIdleMs : this.limits.idleMs);
    this.append(connection);
    this.count++;
    if (!this.busy && this.count > this.limits.max / 2) {
      this.busy = true;
      for (let c = this.head; c; c = c.next) setIdle(c, this.limits.busyIdleMs);
    }
    socket.on('timeout', () => socket.destroy());
    socket.setTimeout(connection.idleMs);
    socket.once('close', () => this.remove(connection));
    return connection;
  }

  /** The connection had a query answered: it has waited least now. */
  touch(connection: TcpConnection): void {
    if (connection === this.tail || !connection.listed) return;
    this.unlink(connection);
    this.append(connection);
  }

  /** Closes every connection. */
  closeAll(): void {
    for (let c = this.head; c; c = this.head) {
      this.remove(c);
      c.socket.destroy();
    }
  }

  private remove(connection: TcpConnection): void {
    if (!connection.listed) return;
    connection.listed = false;
    this.unlink(connection);
    this.count--;
    if (this.busy && this.count <= this.limits.max / 4) this.busy = false;
  }

  private makeRoom(): void {
    let victim = this.head;
    for (let c = this.head; c; c = c.next) {
      if (c.socket.writableLength === 0) {
        victim = c;
        break;
      }
    }
    if (!victim) return;
    this.remove(victim);
    victim.socket.destroy();
  }

  private append(connection: TcpConnection): void {
    connection.prev = this.tail;
    connection.next = undefined;
    if (this.tail) this.tail.next = connection;
    else this.head = connection;
    this.tail = connection;
  }

  private unlink(connection: TcpConnection): void {
    if (connection.prev) connection.prev.next = connection.next;
    else this.head = connection.next;
    if (connection.next) connection.next.prev = connection.prev;
    else this.tail = connection.prev;
    connection.prev = connection.next = undefined;
  }
}

function setIdle(connection: TcpConnection, ms: number): void {
  if (connection.idleMs <= ms) return;
  connection.idleMs = ms;
  connection.socket.setTimeout(ms);
}
