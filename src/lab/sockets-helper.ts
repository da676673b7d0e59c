/**
 * The helper that opens sockets inside a namespace for the lab's process: the outside's (verify's
 * sender and the DNS forwarder dial from the Internet) and a store's (a user logs in from the
 * store itself, ../lab.ts); and the outside's listeners at the outside domains' exchanges
 * (outside-domains.ts), each connection they take handed over unread. A socket opened here stays
 * in this namespace wherever it is used; it crosses to the lab's process over the IPC channel
 * (ipc.ts).
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { report, withHandle, type Operation } from './ipc.js';

export interface ConnectArgs {
  readonly address: string;
  readonly port: number;
  /** Give up after this long, ms (ETIMEDOUT). */
  readonly timeoutMs: number;
}

export interface ListenArgs {
  /** The lab's name for the listener, on every connection it hands over. */
  readonly id: number;
  readonly address: string;
  readonly port: number;
}

/** A connection a listener of the helper took, handed over with this event. */
export interface Accepted {
  readonly accepted: number;
  /** Its peer as the listener saw it: the real source, inside the namespace. */
  readonly remote: { readonly host: string; readonly port: number };
}

export function socketOperations(): Record<string, Operation> {
  return {
    // A listener here whose every connection goes to the lab's process, unread (pauseOnConnect).
    listen: ({ id, address, port }: ListenArgs) =>
      new Promise((resolve, reject) => {
        const server = createServer({ pauseOnConnect: true }, (socket) => {
          const accepted: Accepted = {
            accepted: id,
            remote: { host: socket.remoteAddress!, port: socket.remotePort! },
          };
          report(accepted, socket);
        });
        server.once('error', reject);
        server.listen({ host: address, port }, () => {
          server.off('error', reject);
          resolve(undefined);
        });
      }),
    connect: ({ address, port, timeoutMs }: ConnectArgs) =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: address, port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(Object.assign(new Error(`connect ETIMEDOUT ${address}:${port}`), { code: 'ETIMEDOUT' }));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          // Not one byte is read here: a greeting that came at once is the new owner's to read.
          socket.pause();
          resolve(withHandle({ local: socket.localAddress, port: socket.localPort }, socket));
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      }),
    udp: ({ family }: { family: 4 | 6 }) =>
      new Promise((resolve, reject) => {
        const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
        socket.once('error', reject);
        // A datagram socket handed over stays open here too (unlike a TCP one), and this process
        // would read replies meant for the lab's: it lets go of its copy once the copy is sent.
        socket.bind(0, () => resolve(withHandle({ port: socket.address().port }, socket, () => socket.close())));
      }),
  };
}
