/**
 * The deadlines of one inbound SMTP session, as Postfix's smtpd_timeout with
 * smtpd_per_request_deadline and smtpd_min_data_rate (Postfix 3.7):
 *
 * - a command: from our previous reply, the client has `commandDeadline` to send the next command
 *   whole. The clock is not reset by each byte, as an idle timer would be: a client that trickles
 *   one byte a second is cut like a silent one;
 * - the message after 354: the same budget, extended by every chunk's size / `minDataRate`
 *   seconds and never beyond `commandDeadline` from now, so a client that sends at least
 *   `minDataRate` bytes a second is never cut, and one that trickles is;
 * - while the server works on a command (an async handler of ours: MAIL, RCPT, the message after
 *   its final dot), no deadline runs: the client is waiting for us (RFC 5321 §4.5.3.2).
 *
 * Past the deadline the client gets 421 4.4.2 and the connection is closed (RFC 5321 §3.8).
 * Replies are seen where they are written (each smtp-server reply is one write); nothing is
 * allocated per command or per chunk, one timer per session is refreshed.
 */
import type { Socket } from 'node:net';

export interface DeadlineSettings {
  /** ms */
  readonly commandDeadline: number;
  /** Bytes a second. */
  readonly minDataRate: number;
}

type Mode = 'command' | 'data' | 'busy';

/** How long a client that never reads gets for the 421 before the connection is cut anyway, ms. */
const LINGER = 1000;

export class SessionDeadline {
  private mode: Mode = 'command';
  private deadline: number;
  private readonly timer: NodeJS.Timeout;
  /** A later check, when a message's chunks have pushed the deadline past the timer. */
  private later: NodeJS.Timeout | undefined;
  private over = false;

  /** The socket the session talks over: the TLS one after STARTTLS (follow). */
  private socket: Socket;

  constructor(
    socket: Socket,
    private readonly settings: DeadlineSettings,
    /** The 421 line to send when the deadline passes. */
    private readonly timeoutReply: string,
  ) {
    this.socket = socket;
    this.deadline = performance.now() + settings.commandDeadline;
    this.timer = setTimeout(() => this.check(), settings.commandDeadline);
    this.timer.unref();
    this.watch(socket);
    socket.once('close', () => this.end());
  }

  /**
   * After STARTTLS (RFC 3207) the session goes on over a TLS socket wrapped around the first one,
   * whose own writes and data events stop: the deadlines follow the session there.
   */
  follow(secure: Socket): void {
    this.socket = secure;
    this.watch(secure);
  }

  private watch(socket: Socket): void {
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    socket.write = (chunk: unknown, ...rest: unknown[]) => {
      if (!this.over) this.replied(chunk);
      return write(chunk, ...rest);
    };
    socket.on('data', (chunk: Buffer) => {
      if (this.mode === 'data') this.received(chunk.length);
    });
  }

  /** A handler of ours has the command: the client waits for our reply. */
  busy(): void {
    this.mode = 'busy';
  }

  private replied(chunk: unknown): void {
    // RFC 5321 §4.3.2 / smtp-server writes one reply per write: 354 starts the message.
    const code = typeof chunk === 'string' ? chunk.slice(0, 3) : '';
    this.mode = code === '354' ? 'data' : 'command';
    this.deadline = performance.now() + this.settings.commandDeadline;
    clearTimeout(this.later);
    this.timer.refresh();
  }

  private received(bytes: number): void {
    const now = performance.now();
    this.deadline = Math.min(
      this.deadline + (bytes * 1000) / this.settings.minDataRate,
      now + this.settings.commandDeadline,
    );
  }

  private check(): void {
    if (this.over || this.mode === 'busy') return; // our reply refreshes the timer
    const left = this.deadline - performance.now();
    if (left > 0) {
      this.later = setTimeout(() => this.check(), left);
      this.later.unref();
      return;
    }
    this.over = true;
    this.end();
    const { socket } = this;
    if (socket.destroyed) return;
    socket.end(this.timeoutReply);
    setTimeout(() => socket.destroy(), LINGER).unref();
  }

  private end(): void {
    clearTimeout(this.timer);
    clearTimeout(this.later);
  }
}
