/**
 * A POP3 client for verify's `read` scenario (RFC 1939): log in with USER and PASS, count the
 * maildrop (STAT), read each message's header (TOP n 0, RFC 1939 §7), and QUIT without deleting
 * anything. Just what a mail reader does to look, over a plain socket.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../sandbox/engine.js';
import type { ReadOutcome } from './imap.js';

export async function pop3Headers(
  endpoint: Endpoint,
  user: string,
  password: string,
  timeoutMs = 15_000,
): Promise<ReadOutcome> {
  const socket = connect(endpoint.port, endpoint.host);
  const session = new Pop3Session(socket, timeoutMs);
  try {
    await session.ready;
    const greeting = await session.line();
    if (!greeting.startsWith('+OK')) return { loggedIn: false, reply: greeting };
    const userReply = await session.command(`USER ${user}`);
    if (!userReply.startsWith('+OK')) return { loggedIn: false, reply: userReply };
    const passReply = await session.command(`PASS ${password}`);
    if (!passReply.startsWith('+OK')) return { loggedIn: false, reply: passReply };
    const stat = await session.command('STAT');
    const count = Number(/^\+OK (\d+)/.exec(stat)?.[1]);
    if (!Number.isInteger(count)) throw new Error(`POP3 STAT answered "${stat}"`);
    const headers: string[] = [];
    for (let n = 1; n <= count; n++) {
      const top = await session.command(`TOP ${n} 0`);
      if (!top.startsWith('+OK')) throw new Error(`POP3 TOP ${n} 0 answered "${top}"`);
      headers.push(await session.multiline());
    }
    await session.command('QUIT');
    return { loggedIn: true, headers };
  } finally {
    socket.destroy();
  }
}

class Pop3Session {
  private buffer = '';
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly socket: Socket,
    timeoutMs: number,
  ) {
    socket.setEncoding('latin1');
    socket.setTimeout(timeoutMs, () => this.fail(new Error(`POP3: no answer within ${timeoutMs} ms`)));
    this.ready = new Promise((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('POP3: the server closed the connection')));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting?.();
  }

  /** One line of the server's, without its CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  async command(text: string): Promise<string> {
    this.socket.write(`${text}\r\n`);
    return this.line();
  }

  /** A multi-line response's body, up to the line holding only ".", unstuffed (RFC 1939 §3). */
  async multiline(): Promise<string> {
    const lines: string[] = [];
    for (let line = await this.line(); line !== '.'; line = await this.line())
      lines.push(line.startsWith('..') ? line.slice(1) : line);
    return lines.join('\r\n');
  }
}
