/**
 * A TCP connection, given up after a time without one: the one way mxplan opens a connection
 * with a deadline (the relays' client, the sandbox's and the lab's dial).
 */
import { connect, type Socket } from 'node:net';

/** Longer than any caller waits: a dial without a timeout of its own gives up here, ms. */
export const DIAL_LIMIT_MS = 30_000;

export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
}

/** The error a connection that never came rejects with, named as the kernel names it. */
export function connectTimedOut(target: ConnectTarget): Error & { code: 'ETIMEDOUT' } {
  return Object.assign(new Error(`connect ETIMEDOUT ${target.host}:${target.port}`), { code: 'ETIMEDOUT' as const });
}

/**
 * net.connect, rejected with `connectTimedOut` after `timeoutMs` without a connection. The
 * timer's verdict waits one turn of the event loop: on a busy thread the timer may run before a
 * connection the kernel has already made is read, and that connection is not a timeout. Once
 * connected, the socket's errors are the caller's.
 */
export function connectWithin(target: ConnectTarget, timeoutMs: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, ...(localAddress && { localAddress }) });
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          socket.destroy();
          reject(connectTimedOut(target));
        }),
      timeoutMs,
    );
    const failed = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    });
  });
}
