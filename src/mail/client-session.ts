/**
 * One outbound SMTP session on the wire, the relays' own client (RFC 5321 §3, §4.1):
 *
 *   greeting (220) → EHLO (HELO when EHLO is refused) → STARTTLS (RFC 3207) and EHLO again when
 *   asked for → transactions → QUIT.
 *
 * A transaction sends MAIL, every RCPT and DATA in one write when the server offers PIPELINING
 * (RFC 2920 §3.1: DATA ends the group, and the message follows only its 354), and one command
 * per reply otherwise. The message is dot-stuffed (RFC 5321 §4.5.2) and sent with its final dot
 * in one write. Every reply of the group is read and returned: the caller decides what they mean
 * (smtp-client.ts). Per message that is two round trips instead of four, and no stream.
 *
 * The session knows nothing of pooling, retries or outcomes: it either returns the server's
 * replies or rejects with a SessionError (the connection broke, timed out, or the server spoke
 * out of turn), after which it is dead.
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';

/** One SMTP reply: its code and its lines joined by "\n" ("250-first\n250 last"). */
export interface WireReply {
  readonly code: number;
  readonly text: string;
}

/** How the session uses STARTTLS; absent: never. */
export interface SessionTls {
  /** `may`: only when offered, and a refusal goes on in clear; `verify`: required, and the certificate checked. */
  readonly level: 'may' | 'verify';
  readonly servername: string;
  readonly ca: string;
}

export interface SessionOptions {
  /** Our EHLO name. */
  readonly helo: string;
  readonly greetingTimeout: number;
  /** The longest silence of the server while we wait for it, ms. */
  readonly socketTimeout: number;
  readonly tls?: SessionTls;
}

/** Why a session died: `code` as nodemailer names them (ECONNECTION, ETIMEDOUT, EPROTOCOL, ETLS). */
export class SessionError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The server's reply that ended it, when there was one. */
    readonly response?: string,
    /** It happened while TLS was being set up (or TLS was required and not to be had). */
    readonly duringTls = false,
  ) {
    super(message);
  }
}

/** The replies to one transaction, as far as it went. */
export interface TransactionReplies {
  readonly mail: WireReply;
  /** In the order of the recipients; shorter when the server was not asked (no PIPELINING, MAIL refused). */
  readonly rcpt: readonly WireReply[];
  /** Absent when DATA was not sent. */
  readonly data?: WireReply;
  /** The reply after the final dot; absent when the message was not sent. */
  readonly final?: WireReply;
}

interface Waiter {
  resolve(reply: WireReply): void;
  reject(error: SessionError): void;
}

const CRLF = Buffer.from('\r\n');
const DOT_CRLF = Buffer.from('.\r\n');
const CRLF_DOT_CRLF = Buffer.from('\r\n.\r\n');
const LF_DOT_CRLF = Buffer.from('\n.\r\n');
const DOT = Buffer.from('.');
const LF = 0x0a;
const CR = 0x0d;
const PERIOD = 0x2e;

export class ClientSession {
  /** EHLO keywords the server listed, upper case (SIZE, PIPELINING, 8BITMIME, SMTPUTF8, STARTTLS...). */
  private extensions = new Set<string>();
  private readonly waiters: Waiter[] = [];
  private pending = Buffer.alloc(0);
  private lines: string[] = [];
  private socket: Socket;
  private failure: SessionError | undefined;
  private readonly ended: (() => void)[] = [];
  /** The session went through STARTTLS. */
  secure = false;

  private constructor(
    socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Greeting, EHLO and (when asked) STARTTLS over a connected socket; rejects with a SessionError. */
  static async open(socket: Socket, options: SessionOptions): Promise<ClientSession> {
    const session = new ClientSession(socket, options);
    try {
      await session.start();
      return session;
    } catch (error) {
      session.destroy();
      throw error;
    }
  }

  /** False once the connection closed, broke or timed out. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  /** Whether the server's EHLO listed `keyword`. */
  offers(keyword: string): boolean {
    return this.extensions.has(keyword);
  }

  /** Runs `listener` once, when the session dies (at once if it is dead). */
  onEnd(listener: () => void): void {
    if (this.failure) listener();
    else this.ended.push(listener);
  }

  /**
   * One transaction: MAIL (with `parameters`, e.g. "SIZE=2048"), RCPT for each of `to`, DATA, and
   * the message when DATA gets its 354 and a recipient was accepted. RFC 2920 §3.1: with no
   * recipient accepted and DATA accepted all the same, a lone dot is sent. A 421 (RFC 5321 §3.8:
   * the server is closing) ends it with the replies so far; a session that dies otherwise rejects.
   */
  async transaction(
    from: string,
    to: readonly string[],
    parameters: readonly string[],
    message: Buffer,
  ): Promise<TransactionReplies> {
    const mail = `MAIL FROM:<${from}>${parameters.length > 0 ? ` ${parameters.join(' ')}` : ''}`;
    const commands = [mail, ...to.map((r) => `RCPT TO:<${r}>`), 'DATA'];
    const got: WireReply[] = [];
    if (this.offers('PIPELINING')) {
      // RFC 2920 §3.1: MAIL and RCPT anywhere in a group, DATA last; every reply is read.
      const replies = commands.map(() => this.reply());
      for (const reply of replies) reply.catch(() => {}); // each is awaited below, in order
      this.write(`${commands.join('\r\n')}\r\n`);
      for (const reply of replies) {
        try {
          got.push(await reply);
        } catch (error) {
          if (got.some(closing)) break;
          throw error;
        }
      }
    } else {
      for (const [i, command] of commands.entries()) {
        const reply = await this.command(command);
        got.push(reply);
        if (closing(reply)) break;
        if (i === 0 && !positive(reply)) break; // MAIL refused: nothing to add recipients to
        if (i === to.length && !got.slice(1).some(positive)) break; // no recipient: no DATA
      }
    }
    const replies = { mail: got[0]!, rcpt: got.slice(1, to.length + 1), data: got[to.length + 1] };
    const { data } = replies;
    if (!data || Math.floor(data.code / 100) !== 3) return replies;
    const final = this.reply();
    if (!positive(replies.mail) || !replies.rcpt.some(positive)) this.write(DOT_CRLF);
    else this.writeAll(dotStuffed(message));
    return { ...replies, final: await final };
  }

  /** QUIT, then the socket closes (at the latest after `linger` ms). */
  quit(linger = 1000): void {
    if (!this.alive) return this.destroy();
    this.reply().then(
      () => this.socket.end(),
      () => {},
    );
    this.write('QUIT\r\n');
    setTimeout(() => this.destroy(), linger).unref();
  }

  destroy(): void {
    this.fail(new SessionError('connection closed', 'ECONNECTION'));
    this.socket.destroy();
  }

  private async start(): Promise<void> {
    const greeting = await this.within(this.options.greetingTimeout, this.reply());
    // RFC 5321 §3.1: anything but 220 (a 554, a 421) means no session here.
    if (greeting.code !== 220) throw this.refused('Invalid greeting', greeting);
    await this.hello();
    const want = this.options.tls;
    if (!want) return;
    if (!this.offers('STARTTLS')) {
      if (want.level === 'verify') throw new SessionError('STARTTLS is not offered', 'ETLS', undefined, true);
      return;
    }
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) {
      // RFC 7435: opportunistic TLS goes on in clear when the server declines it.
      if (want.level === 'verify') throw new SessionError('STARTTLS was refused', 'ETLS', reply.text, true);
      return;
    }
    await this.upgrade(want);
    // RFC 3207 §4.2: the client discards what it knew and says EHLO again.
    await this.hello();
  }

  private async hello(): Promise<void> {
    let reply = await this.command(`EHLO ${this.options.helo}`);
    if (!positive(reply)) {
      // RFC 5321 §3.2: a server that does not know EHLO may still take HELO (and no extensions).
      reply = await this.command(`HELO ${this.options.helo}`);
      if (!positive(reply)) throw this.refused('HELO was refused', reply);
      this.extensions = new Set();
      return;
    }
    this.extensions = new Set(
      reply.text
        .split('\n')
        .slice(1)
        .map((line) => line.slice(4).trim().split(/\s+/)[0]!.toUpperCase()),
    );
  }

  /** STARTTLS took: the same session goes on over TLS on the same socket. */
  private upgrade(want: SessionTls): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('timeout');
    return new Promise((resolve, reject) => {
      const secure = tls.connect({
        socket: raw,
        servername: want.servername,
        ca: [want.ca],
        // `may` is unauthenticated (RFC 7435); `verify` chains to the CA and names the host (RFC 6125).
        rejectUnauthorized: want.level === 'verify',
        minVersion: 'TLSv1.2',
      });
      const onError = (error: Error) => {
        const failure = new SessionError(error.message, 'ETLS', undefined, true);
        this.fail(failure);
        secure.destroy();
        reject(failure);
      };
      const onTimeout = () => onError(new Error('the TLS handshake timed out'));
      secure.setTimeout(this.options.socketTimeout);
      secure.once('timeout', onTimeout);
      secure.once('error', onError);
      secure.once('secureConnect', () => {
        secure.removeListener('error', onError);
        secure.removeListener('timeout', onTimeout);
        this.socket = secure;
        this.secure = true;
        this.listen(secure);
        resolve();
      });
    });
  }

  private listen(socket: Socket): void {
    socket.setTimeout(this.options.socketTimeout);
    socket.on('timeout', () => {
      // Only a wait for the server counts: an idle pooled session may sit as long as its owner keeps it.
      if (this.waiters.length > 0) this.fail(new SessionError('timeout waiting for the server', 'ETIMEDOUT'));
      if (!this.alive) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error: Error) => this.fail(new SessionError(error.message, 'ECONNECTION')));
    socket.on('close', () => this.fail(new SessionError('connection closed', 'ECONNECTION')));
  }

  /** Splits what arrived into lines, and lines into replies (RFC 5321 §4.2.1: "250-" goes on, "250 " ends). */
  private received(chunk: Buffer): void {
    let bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let nl = bytes.indexOf(LF); nl >= 0; nl = bytes.indexOf(LF)) {
      const end = nl > 0 && bytes[nl - 1] === CR ? nl - 1 : nl;
      const line = bytes.toString('utf8', 0, end);
      bytes = bytes.subarray(nl + 1);
      this.lines.push(line);
      if (line.length > 3 && line[3] === '-') continue;
      const text = this.lines.join('\n');
      this.lines = [];
      const code = Number(text.slice(0, 3));
      const waiter = this.waiters.shift();
      if (!waiter || !(code >= 200 && code < 600)) {
        // A reply nobody asked for (an idle session's 421) or no reply at all: the session is over.
        this.fail(new SessionError('unexpected reply', 'EPROTOCOL', text));
        this.socket.destroy();
        return;
      }
      waiter.resolve({ code, text });
    }
    this.pending = bytes.length > 0 ? Buffer.from(bytes) : Buffer.alloc(0);
  }

  private reply(): Promise<WireReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private command(line: string): Promise<WireReply> {
    const reply = this.reply();
    this.write(`${line}\r\n`);
    return reply;
  }

  private write(data: string | Buffer): void {
    if (!this.failure) this.socket.write(data);
  }

  /** One write for the parts (cork: writev, not a copy). */
  private writeAll(parts: readonly Buffer[]): void {
    if (this.failure) return;
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  }

  private within<T>(ms: number, promise: Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.fail(new SessionError('Greeting never received', 'ETIMEDOUT'));
      this.socket.destroy();
    }, ms);
    return promise.finally(() => clearTimeout(timer));
  }

  private refused(what: string, reply: WireReply): SessionError {
    return new SessionError(what, 'EPROTOCOL', reply.text);
  }

  private fail(error: SessionError): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    for (const listener of this.ended.splice(0)) listener();
  }
}

function positive(reply: WireReply): boolean {
  return Math.floor(reply.code / 100) === 2;
}

/** RFC 5321 §3.8: the server is closing the session. */
function closing(reply: WireReply): boolean {
  return reply.code === 421;
}

/**
 * The message as DATA carries it (RFC 5321 §4.5.2): a period that starts a line is doubled, a bare
 * LF becomes CRLF (as nodemailer's DataStream did), and the final dot follows on a line of its
 * own. Pieces of the message itself, copied only where a byte is added.
 */
export function dotStuffed(message: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  if (message[0] === PERIOD) parts.push(DOT);
  for (let nl = message.indexOf(LF); nl >= 0; nl = message.indexOf(LF, nl + 1)) {
    const bare = nl === 0 || message[nl - 1] !== CR;
    const period = message[nl + 1] === PERIOD;
    if (!bare && !period) continue;
    parts.push(message.subarray(start, nl));
    parts.push(bare ? CRLF : CRLF.subarray(1));
    if (period) parts.push(DOT);
    start = nl + 1;
  }
  parts.push(message.subarray(start));
  const last = message[message.length - 1];
  parts.push(last === LF ? DOT_CRLF : last === CR ? LF_DOT_CRLF : CRLF_DOT_CRLF);
  return parts;
}
