/**
 * The client side of a relay: nodemailer's SMTP connection, pooled per endpoint so several
 * messages share a session (smtp-server waits 100 ms before every greeting, so one connection
 * per message would cap a relay near ten messages a second per session).
 *
 * nodemailer reports outcomes as errors of several shapes; this module turns them into one
 * result per attempt, with a reply per recipient, so the queue can tell delivered, deferred (4xx)
 * and failed (5xx) apart (nodemailer's `info.rejected` mixes 550 and 451; only each
 * rejection's `responseCode` tells a deferral from a failure).
 */
import { isAscii } from 'node:buffer';
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Endpoint } from './connector.js';
import { parseReply, type SmtpReply } from './replies.js';

export interface ClientOptions {
  /** The EHLO name: the host's planned helo. */
  readonly helo: string;
  readonly connectTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
  /** Idle connections are closed after this long, ms. */
  readonly reuseFor: number;
}

export interface Envelope {
  /** "" for the null reverse-path. */
  readonly from: string;
  readonly to: readonly string[];
}

export type SendResult =
  /** No session (refused, timed out, greeting not 220, 421): try the next address or MX. */
  | { readonly stage: 'connect'; readonly reply: SmtpReply }
  /** MAIL FROM refused: the same for every recipient. */
  | { readonly stage: 'mail'; readonly reply: SmtpReply }
  /** DATA refused, or the session broke during the transaction (`lost`): the same for every recipient. */
  | { readonly stage: 'data'; readonly reply: SmtpReply; readonly lost?: boolean }
  /** The transaction ended: `accepted` got the message; every other recipient has its RCPT reply. */
  | {
      readonly stage: 'done';
      readonly reply: SmtpReply;
      readonly accepted: readonly string[];
      readonly refused: ReadonlyMap<string, SmtpReply>;
    };

interface Pooled {
  readonly connection: SMTPConnection;
  alive: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

interface SmtpError extends Error {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

export class SmtpClient {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly open = new Set<Pooled>();
  private closed = false;

  constructor(private readonly options: ClientOptions) {}

  async send(endpoint: Endpoint, envelope: Envelope, message: Buffer): Promise<SendResult> {
    const reused = this.takeIdle(endpoint);
    if (reused) {
      const result = await this.transact(reused, envelope, message);
      // A cached session the server has meanwhile closed: not the destination's fault, dial again.
      if (!(result.stage === 'data' && result.lost)) return this.finish(endpoint, reused, result);
      this.discard(reused);
    }
    let pooled: Pooled;
    try {
      pooled = await this.dial(endpoint);
    } catch (error) {
      return {
        stage: 'connect',
        reply: replyOf(error as SmtpError, `connection to ${endpoint.host}:${endpoint.port} failed`),
      };
    }
    return this.finish(endpoint, pooled, await this.transact(pooled, envelope, message));
  }

  /** Closes every pooled connection (QUIT when idle). */
  close(): void {
    this.closed = true;
    for (const pooled of this.open) this.discard(pooled);
    this.idle.clear();
  }

  private finish(endpoint: Endpoint, pooled: Pooled, result: SendResult): SendResult {
    // A transaction whose every recipient was refused is still open at the server (nodemailer
    // sends no RSET): the next MAIL on that session would get 503 (RFC 5321 §4.1.1.5, §3.3).
    const open = result.stage === 'done' && result.accepted.length === 0;
    if (result.stage === 'done' && !open && pooled.alive && !this.closed) this.park(endpoint, pooled);
    else this.discard(pooled);
    return result;
  }

  /**
   * Opens the TCP connection itself, with Nagle off, and hands it to nodemailer: nodemailer
   * writes a message and its final dot separately, and with Nagle on the dot waits for the
   * server's delayed ACK (40 ms on Linux), capping a session near 25 messages a second.
   */
  private async dial(endpoint: Endpoint): Promise<Pooled> {
    if (this.closed) throw new Error('client closed');
    const socket = await openSocket(endpoint, this.options.connectTimeout);
    socket.setNoDelay(true);
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection({
        connection: socket,
        host: endpoint.host,
        port: endpoint.port,
        name: this.options.helo,
        secure: false,
        // STARTTLS is off in the sandbox (no certificate anyone could verify); see server.ts.
        ignoreTLS: true,
        greetingTimeout: this.options.greetingTimeout,
        socketTimeout: this.options.socketTimeout,
        logger: false,
        debug: false,
      });
      const pooled: Pooled = { connection, alive: true, idleTimer: undefined };
      let settled = false;
      connection.on('error', (error: SmtpError) => {
        pooled.alive = false;
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      connection.once('end', () => {
        pooled.alive = false;
        this.open.delete(pooled);
        if (!settled) {
          settled = true;
          reject(Object.assign(new Error('connection closed before the greeting'), { code: 'ECONNECTION' }));
        }
      });
      connection.connect(() => {
        if (settled) return;
        settled = true;
        this.open.add(pooled);
        resolve(pooled);
      });
    });
  }

  private transact(pooled: Pooled, envelope: Envelope, message: Buffer): Promise<SendResult> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: SendResult) => {
        if (settled) return;
        settled = true;
        pooled.connection.removeListener('end', onEnd);
        resolve(result);
      };
      const onEnd = () =>
        settle({
          stage: 'data',
          lost: true,
          reply: { code: 451, enhanced: '4.4.2', text: 'session lost during the transaction' },
        });
      pooled.connection.once('end', onEnd);
      pooled.connection.send(
        {
          from: envelope.from,
          to: [...envelope.to],
          size: message.length,
          // RFC 6152: say so when the body is not 7-bit.
          use8BitMime: !isAscii(message),
        },
        message,
        (error, info) => {
          if (error) return settle(classify(error));
          const refused = new Map<string, SmtpReply>();
          for (const e of (info.rejectedErrors ?? []) as SmtpError[])
            if (e.recipient) refused.set(e.recipient, replyOf(e, 'recipient refused'));
          settle({ stage: 'done', reply: parseReply(info.response) ?? OK, accepted: info.accepted, refused });
        },
      );
    });
  }

  private takeIdle(endpoint: Endpoint): Pooled | undefined {
    const list = this.idle.get(key(endpoint));
    while (list && list.length > 0) {
      const pooled = list.pop()!;
      clearTimeout(pooled.idleTimer);
      if (pooled.alive) return pooled;
    }
    return undefined;
  }

  private park(endpoint: Endpoint, pooled: Pooled): void {
    const k = key(endpoint);
    const list = this.idle.get(k) ?? [];
    this.idle.set(k, list);
    list.push(pooled);
    pooled.idleTimer = setTimeout(() => {
      const i = list.indexOf(pooled);
      if (i >= 0) list.splice(i, 1);
      this.discard(pooled);
    }, this.options.reuseFor);
    pooled.idleTimer.unref();
  }

  private discard(pooled: Pooled): void {
    clearTimeout(pooled.idleTimer);
    this.open.delete(pooled);
    if (pooled.alive) {
      pooled.alive = false;
      pooled.connection.quit(); // QUIT; nodemailer closes the socket on the 221
      setTimeout(() => pooled.connection.close(), 1000).unref(); // a server that never answers
    } else pooled.connection.close();
  }
}

const OK: SmtpReply = { code: 250, enhanced: '2.0.0', text: 'Ok' };

function openSocket(endpoint: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.on('error', () => {}); // nodemailer adds its own handler; none may be missing meanwhile
      resolve(socket);
    });
  });
}

function key(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/** nodemailer's error shapes (lib/smtp-connection: EENVELOPE, EMESSAGE, ECONNECTION, ...) to a stage. */
function classify(error: SmtpError): SendResult {
  const reply = replyOf(error, error.message);
  // RFC 5321 §3.8: 421 means the server is closing the session, at whatever point.
  if (reply.code === 421) return { stage: 'connect', reply };
  if (error.code === 'EENVELOPE' && error.command === 'MAIL FROM') return { stage: 'mail', reply };
  if (error.code === 'EENVELOPE' && error.command === 'RCPT TO') {
    const refused = new Map<string, SmtpReply>();
    for (const e of error.rejectedErrors ?? [])
      if (e.recipient) refused.set(e.recipient, replyOf(e, 'recipient refused'));
    return { stage: 'done', reply, accepted: [], refused };
  }
  if (error.command === 'DATA' && error.response) return { stage: 'data', reply };
  // The session broke mid-transaction: the message may or may not have arrived; retry later
  // (a duplicate is absorbed by the delivery key at the mailbox).
  return {
    stage: 'data',
    lost: true,
    reply: { code: 451, enhanced: '4.4.2', text: `session lost: ${error.code ?? ''} ${error.message}`.trim() },
  };
}

/** The server's reply when there was one; otherwise a 4xx naming the local failure. */
function replyOf(error: SmtpError, fallback: string): SmtpReply {
  const parsed = error.response ? parseReply(error.response) : undefined;
  if (parsed) return parsed;
  return {
    code: 451,
    enhanced: error.code === 'ETIMEDOUT' ? '4.4.2' : '4.4.1',
    text: `${fallback} (${error.code ?? 'error'}: ${error.message})`,
  };
}
