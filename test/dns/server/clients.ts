/**
 * Real DNS clients for the server tests: BIND's dig and Node's own c-ares resolver, always
 * pointed at a server on loopback (never the system resolver).
 */
import { execFile } from 'node:child_process';
import { promises as dns } from 'node:dns';
import dgram from 'node:dgram';
import net from 'node:net';

export interface DigResult {
  readonly code: number;
  readonly output: string;
}

/** Runs dig against 127.0.0.1:port with short timeouts; `args` are the question and +options. */
export function dig(port: number, args: readonly string[]): Promise<DigResult> {
  return new Promise((resolve) => {
    execFile(
      'dig',
      [`@127.0.0.1`, '-p', String(port), '+time=2', '+tries=1', ...args],
      { maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The header facts of a dig reply: status, flags and section counts. */
export function digHeader(output: string): {
  status: string;
  flags: string[];
  answer: number;
  authority: number;
  additional: number;
} {
  const status = /status: (\w+)/.exec(output)?.[1] ?? '';
  const flagLine = /;; flags: ([^;]*); QUERY: \d+, ANSWER: (\d+), AUTHORITY: (\d+), ADDITIONAL: (\d+)/.exec(output);
  if (!flagLine) throw new Error(`no header in dig output:\n${output}`);
  return {
    status,
    flags: flagLine[1]!.trim().split(/\s+/),
    answer: Number(flagLine[2]),
    authority: Number(flagLine[3]),
    additional: Number(flagLine[4]),
  };
}

/** Node's c-ares resolver, asking only our server (one try, short timeout). */
export function resolver(port: number): dns.Resolver {
  const r = new dns.Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

/** A raw TCP connection to the server, for framing tests. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads `count` length-prefixed messages from a socket. */
export function readMessages(socket: net.Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const messages: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const size = buffered.readUInt16BE(0);
        messages.push(buffered.subarray(2, 2 + size));
        buffered = buffered.subarray(2 + size);
      }
      if (messages.length >= count) {
        socket.off('data', onData);
        resolve(messages);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`connection closed after ${messages.length} of ${count} messages`)));
  });
}

export function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** Settles when the server closes the connection (reading and discarding what it sends). */
export function closedByPeer(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    // A paused socket with unread data never sees the end of the stream.
    socket.resume();
  });
}

/** Sends one datagram to the server and resolves with the reply. */
export function udpAsk(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP reply'));
    }, 2000);
    socket.once('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(message, port, '127.0.0.1');
  });
}
