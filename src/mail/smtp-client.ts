/**
 * The client side of a relay: nodemailer's SMTP connection, pooled per endpoint so several
 * messages share a session (smtp-server waits 100 ms before every greeting, so one connection
 * per message would cap a relay near ten messages a second per session).
 *
 * nodemailer reports outcomes as errors of several shapes; this module turns them into one
 * result per attempt, with a reply per recipient, so the queue can tell delivered, deferred (4xx)
 * and failed (5xx) apart (nodemailer's `info.rejected` mixes 550 and 451; only each
 * rejection's `responseCode` tells a deferral from a failure).
 *
 * TLS (RFC 3207), when the client has a CA to trust (the sandbox's, and nothing else):
 * - `may` (RFC 7435 opportunistic security, Postfix's smtp_tls_security_level=may): STARTTLS
 *   when the server offers it, unauthenticated; a refused STARTTLS goes on in plain text, and a
 *   handshake that fails is dialled again without TLS (as RFC 3207 §4.1 lets a client that
 *   needs no authentication go on). Without a requirement, a delivery is `may`.
 * - `verify` (RFC 8461 §4.2, §5, for MTA-STS enforce): STARTTLS required and the certificate
 *   must chain to the CA and name the MX host; otherwise no session, and no fallback.
 */
import { isAscii } from 'node:buffer';
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Endpoint } from './connector.js';
import { parseReply, REPLIES, type SmtpReply } from './replies.js';
import { needsSmtpUtf8 } from './smtputf8.js';

export interface ClientOptions {
  /** The EHLO name: the host's planned helo. */
  readonly helo: string;
  readonly connectTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
  /** Idle connections are closed after this long, ms. */
  readonly reuseFor: number;
  /** The one CA the client trusts, PEM. Absent: the client never uses STARTTLS. */
  readonly ca?: string;
  /**
   * The local address its connections come from; the system's choice when absent. The sandbox
   * gives each host a loopback address of its own, so that a server's per-client limits count
   * per host, as they do between planned addresses.
   */
  readonly localAddress?: string;
}

/** How one delivery uses TLS (see the head comment); `servername` is the MX host's name (RFC 6125). */
export interface TlsRequirement {
  readonly level: 'may' | 'verify';
  readonly servername: string;
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
  /** The envelope needs SMTPUTF8 and the server does not offer it: nothing was sent (RFC 6531 §3.2, no downgrade). */
  | { readonly stage: 'smtputf8' }
  /** The transaction ended: `accepted` got the message; every other recipient has its RCPT reply. */
  | {
      readonly stage: 'done';
      readonly reply: SmtpReply;
      readonly accepted: readonly string[];
      readonly refused: ReadonlyMap<string, SmtpReply>;
    };

interface Pooled {
  readonly connection: SMTPConnection & { upgrading?: boolean; secure?: boolean };
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
  /** Connections still waiting for their greeting: nodemailer's greeting timer holds the process. */
  private readonly greeting = new Set<SMTPConnection>();
  private closed = false;

  constructor(private readonly options: ClientOptions) {}

  async send(endpoint: Endpoint, envelope: Envelope, message: Buffer, tls?: TlsRequirement): Promise<SendResult> {
    const security = this.options.ca === undefined ? undefined : tls;
    const k = key(endpoint, security);
    const reused = this.takeIdle(k);
    if (reused) {
      const result = await this.transact(reused, envelope, message);
      // A cached session the server has meanwhile closed: not the destination's fault, dial again.
      if (!(result.stage === 'data' && result.lost)) return this.finish(k, reused, result);
      this.discard(reused);
    }
    let pooled: Pooled;
    try {
      pooled = await this.dial(endpoint, security);
    } catch (error) {
      const e = error as SmtpError & { duringTls?: boolean };
      if (!(e.duringTls && security?.level === 'may'))
        return {
          stage: 'connect',
          reply: e.duringTls
            ? REPLIES.tlsRequired(security!.servername, e.message)
            : replyOf(e, `connection to ${endpoint.host}:${endpoint.port} failed`),
        };
      // Opportunistic: the handshake failed, so the same server is dialled again in plain text.
      try {
        pooled = await this.dial(endpoint, undefined);
      } catch (again) {
        return {
          stage: 'connect',
          reply: replyOf(again as SmtpError, `connection to ${endpoint.host}:${endpoint.port} failed`),
        };
      }
    }
    return this.finish(k, pooled, await this.transact(pooled, envelope, message));
  }

  /** Closes every pooled connection (QUIT when idle). */
  close(): void {
    this.closed = true;
    for (const connection of this.greeting) connection.close();
    this.greeting.clear();
    for (const pooled of this.open) this.discard(pooled);
    this.idle.clear();
  }

  private finish(k: string, pooled: Pooled, result: SendResult): SendResult {
    // A transaction whose every recipient was refused is still open at the server (nodemailer
    // sends no RSET): the next MAIL on that session would get 503 (RFC 5321 §4.1.1.5, §3.3).
    const open = result.stage === 'done' && result.accepted.length === 0;
    if (result.stage === 'done' && !open && pooled.alive && !this.closed) this.park(k, pooled);
    else this.discard(pooled);
    return result;
  }

  /**
   * Opens the TCP connection itself, with Nagle off, and hands it to nodemailer: nodemailer
   * writes a message and its final dot separately, and with Nagle on the dot waits for the
   * server's delayed ACK (40 ms on Linux), capping a session near 25 messages a second.
   */
  private async dial(endpoint: Endpoint, tls: TlsRequirement | undefined): Promise<Pooled> {
    if (this.closed) throw new Error('client closed');
    const socket = await openSocket(endpoint, this.options.connectTimeout, this.options.localAddress);
    socket.setNoDelay(true);
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection({
        connection: socket,
        host: endpoint.host,
        port: endpoint.port,
        name: this.options.helo,
        secure: false,
        ...(tls
          ? {
              requireTLS: tls.level === 'verify',
              // A 4xx/5xx answer to STARTTLS: plain text, unless TLS is required.
              opportunisticTLS: tls.level === 'may',
              servername: tls.servername,
              tls: {
                ca: [this.options.ca!],
                servername: tls.servername,
                rejectUnauthorized: tls.level === 'verify',
                minVersion: 'TLSv1.2' as const,
              },
            }
          : { ignoreTLS: true }),
        greetingTimeout: this.options.greetingTimeout,
        socketTimeout: this.options.socketTimeout,
        logger: false,
        debug: false,
      });
      const pooled: Pooled = { connection, alive: true, idleTimer: undefined };
      this.greeting.add(connection);
      let settled = false;
      // A session that never got going: close() clears nodemailer's greeting and connection timers.
      const abandon = () => {
        this.greeting.delete(connection);
        connection.close();
      };
      connection.on('error', (error: SmtpError) => {
        pooled.alive = false;
        if (!settled) {
          settled = true;
          abandon();
          // nodemailer reports a failed handshake (or certificate) as ETLS or as a socket error while upgrading.
          const duringTls = error.code === 'ETLS' || pooled.connection.upgrading === true;
          reject(Object.assign(error, { duringTls }));
        }
      });
      connection.once('end', () => {
        pooled.alive = false;
        this.open.delete(pooled);
        if (!settled) {
          settled = true;
          abandon();
          reject(Object.assign(new Error('connection closed before the greeting'), { code: 'ECONNECTION' }));
        }
      });
      connection.connect(() => {
        this.greeting.delete(connection);
        if (settled) return;
        // RFC 8461 §5: an MX that does not offer STARTTLS fails in enforce mode (requireTLS
        // makes nodemailer send STARTTLS anyway; a refusal then is an ETLS error above).
        if (tls?.level === 'verify' && pooled.connection.secure !== true) {
          settled = true;
          connection.close();
          return reject(Object.assign(new Error('the session is not encrypted'), { code: 'ETLS', duringTls: true }));
        }
        settled = true;
        this.open.add(pooled);
        resolve(pooled);
      });
    });
  }

  private transact(pooled: Pooled, envelope: Envelope, message: Buffer): Promise<SendResult> {
    // nodemailer adds SMTPUTF8 to MAIL FROM for such an envelope when the server offers it, and
    // sends it without otherwise: that downgrade is ours to refuse.
    if (needsSmtpUtf8(envelope.from, envelope.to) && !offers(pooled.connection, 'SMTPUTF8'))
      return Promise.resolve({ stage: 'smtputf8' });
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

  private takeIdle(k: string): Pooled | undefined {
    const list = this.idle.get(k);
    while (list && list.length > 0) {
      const pooled = list.pop()!;
      clearTimeout(pooled.idleTimer);
      if (pooled.alive) return pooled;
    }
    return undefined;
  }

  private park(k: string, pooled: Pooled): void {
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

/**
 * Whether the server's EHLO reply listed `extension`. nodemailer keeps that list in a field of
 * its connection and hands it out only to AUTH handlers; test/mail/smtputf8.test.ts pins it.
 */
function offers(connection: SMTPConnection, extension: string): boolean {
  const extensions = (connection as unknown as { _supportedExtensions?: readonly string[] })._supportedExtensions;
  return extensions?.includes(extension) ?? false;
}

function openSocket(endpoint: Endpoint, timeoutMs: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, ...(localAddress && { localAddress }) });
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

/** A pooled session serves only deliveries with the same endpoint and the same TLS requirement. */
function key(endpoint: Endpoint, tls: TlsRequirement | undefined): string {
  return `${endpoint.host}:${endpoint.port} ${tls ? `${tls.level} ${tls.servername}` : 'plain'}`;
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
