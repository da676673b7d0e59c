/**
 * The client side of a relay: sessions of its own SMTP client (client-session.ts), pooled per
 * endpoint so that the messages to one next hop share sessions (Postfix's connection cache), and
 * each transaction pipelined (RFC 2920) when the server offers it.
 *
 * Each attempt ends in one result, with a reply per recipient, so the queue can tell delivered,
 * deferred (4xx) and failed (5xx) apart.
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
import type net from 'node:net';
import { connectWithin } from '../connect.js';
import { ClientSession, SessionError, type TransactionReplies, type WireReply } from './client-session.js';
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
  readonly session: ClientSession;
  idleTimer: NodeJS.Timeout | undefined;
}

export class SmtpClient {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly open = new Set<Pooled>();
  /** Connections still on their way to a session (greeting, EHLO, STARTTLS): close() ends them too. */
  private readonly starting = new Set<net.Socket>();
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
      const e = error as { code?: string; message: string; response?: string; duringTls?: boolean };
      const duringTls = e.duringTls === true;
      if (!(duringTls && security?.level === 'may'))
        return {
          stage: 'connect',
          reply: duringTls
            ? REPLIES.tlsRequired(security!.servername, e.message)
            : replyOf(e, `connection to ${endpoint.host}:${endpoint.port} failed`),
        };
      // Opportunistic: the handshake failed, so the same server is dialled again in plain text.
      try {
        pooled = await this.dial(endpoint, undefined);
      } catch (again) {
        return {
          stage: 'connect',
          reply: replyOf(again as Error, `connection to ${endpoint.host}:${endpoint.port} failed`),
        };
      }
    }
    return this.finish(k, pooled, await this.transact(pooled, envelope, message));
  }

  /** Closes every pooled connection (QUIT when idle). */
  close(): void {
    this.closed = true;
    for (const socket of this.starting) socket.destroy(); // its session fails: the send reports no session
    this.starting.clear();
    for (const pooled of this.open) this.discard(pooled);
    this.idle.clear();
  }

  private finish(k: string, pooled: Pooled, result: SendResult): SendResult {
    // Only a transaction that ended with the final dot's reply leaves the session ready for the
    // next MAIL; after a refusal on the way the server may still hold the transaction open
    // (RFC 5321 §4.1.1.5, §3.3), so that session is not reused.
    if (result.stage === 'done' && result.accepted.length > 0 && pooled.session.alive && !this.closed)
      this.park(k, pooled);
    else this.discard(pooled);
    return result;
  }

  /** Opens the TCP connection, with Nagle off (replies are small and awaited), and starts the session on it. */
  private async dial(endpoint: Endpoint, tls: TlsRequirement | undefined): Promise<Pooled> {
    if (this.closed) throw new SessionError('client closed', 'ECONNECTION');
    const socket = await openSocket(endpoint, this.options.connectTimeout, this.options.localAddress);
    socket.setNoDelay(true);
    this.starting.add(socket);
    let session: ClientSession;
    try {
      session = await ClientSession.open(socket, {
        helo: this.options.helo,
        greetingTimeout: this.options.greetingTimeout,
        socketTimeout: this.options.socketTimeout,
        ...(tls && { tls: { ...tls, ca: this.options.ca! } }),
      });
    } finally {
      this.starting.delete(socket);
    }
    const pooled: Pooled = { session, idleTimer: undefined };
    this.open.add(pooled);
    session.onEnd(() => {
      clearTimeout(pooled.idleTimer);
      this.open.delete(pooled);
    });
    return pooled;
  }

  private async transact(pooled: Pooled, envelope: Envelope, message: Buffer): Promise<SendResult> {
    const { session } = pooled;
    const smtpUtf8 = needsSmtpUtf8(envelope.from, envelope.to);
    // RFC 6531 §3.2: an envelope that needs SMTPUTF8 goes only where it is offered, never downgraded.
    if (smtpUtf8 && !session.offers('SMTPUTF8')) return { stage: 'smtputf8' };
    // RFC 5321 §4.1.2: a path is one token between angle brackets; ours are canonical, and a
    // line break in one would be a command of its own.
    if ([envelope.from, ...envelope.to].some((a) => /[\r\n<>]/.test(a)))
      return { stage: 'data', lost: true, reply: REPLIES.localError('an envelope address that cannot be sent') };
    const parameters = [
      ...(smtpUtf8 ? ['SMTPUTF8'] : []),
      // RFC 6152: say so when the body is not 7-bit.
      ...(session.offers('8BITMIME') && !isAscii(message) ? ['BODY=8BITMIME'] : []),
      // RFC 1870 §6: the size up front, so a server that will not take it refuses at MAIL.
      ...(session.offers('SIZE') ? [`SIZE=${message.length}`] : []),
    ];
    let replies: TransactionReplies;
    try {
      replies = await session.transaction(envelope.from, envelope.to, parameters, message);
    } catch (error) {
      // The session broke mid-transaction: the message may or may not have arrived; retry later
      // (a duplicate is absorbed by the delivery key at the mailbox).
      const e = error as SessionError;
      return {
        stage: 'data',
        lost: true,
        reply: { code: 451, enhanced: '4.4.2', text: `session lost: ${e.code ?? ''} ${e.message}`.trim() },
      };
    }
    return outcome(envelope.to, replies);
  }

  private takeIdle(k: string): Pooled | undefined {
    const list = this.idle.get(k);
    while (list && list.length > 0) {
      const pooled = list.pop()!;
      clearTimeout(pooled.idleTimer);
      if (pooled.session.alive) return pooled;
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
    pooled.session.quit(); // QUIT; the socket closes on the 221, or a second later
  }
}

const OK: SmtpReply = { code: 250, enhanced: '2.0.0', text: 'Ok' };

/** The replies of one transaction, as the queue needs them (RFC 5321 §3.3, RFC 2920 §3.1: every reply counts). */
function outcome(to: readonly string[], replies: TransactionReplies): SendResult {
  const { mail, rcpt, data, final } = replies;
  // RFC 5321 §3.8: 421 means the server is closing the session, at whatever point.
  const closing = [mail, ...rcpt, data, final].find((r) => r?.code === 421);
  if (closing) return { stage: 'connect', reply: wireReply(closing) };
  if (!positive(mail)) return { stage: 'mail', reply: wireReply(mail) };
  const accepted: string[] = [];
  const refused = new Map<string, SmtpReply>();
  rcpt.forEach((reply, i) => {
    if (positive(reply)) accepted.push(to[i]!);
    else refused.set(to[i]!, wireReply(reply));
  });
  if (accepted.length === 0) return { stage: 'done', reply: wireReply(rcpt.at(-1)!), accepted, refused };
  if (!data || !final) return { stage: 'data', reply: wireReply(data ?? mail) };
  if (!positive(final)) return { stage: 'data', reply: wireReply(final) };
  return { stage: 'done', reply: parseReply(final.text) ?? OK, accepted, refused };
}

function positive(reply: WireReply): boolean {
  return Math.floor(reply.code / 100) === 2;
}

function wireReply(reply: WireReply): SmtpReply {
  return (
    parseReply(reply.text) ?? { code: reply.code, enhanced: `${Math.floor(reply.code / 100)}.0.0`, text: reply.text }
  );
}

/** The shared connect, its timeout named as a session names one (the reply then says 4.4.2). */
async function openSocket(endpoint: Endpoint, timeoutMs: number, localAddress?: string): Promise<net.Socket> {
  let socket: net.Socket;
  try {
    socket = await connectWithin(endpoint, timeoutMs, localAddress);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
      throw new SessionError('Connection timeout', 'ETIMEDOUT');
    throw error;
  }
  socket.on('error', () => {}); // the session adds its own; none may be missing meanwhile
  return socket;
}

/** A pooled session serves only deliveries with the same endpoint and the same TLS requirement. */
function key(endpoint: Endpoint, tls: TlsRequirement | undefined): string {
  return `${endpoint.host}:${endpoint.port} ${tls ? `${tls.level} ${tls.servername}` : 'plain'}`;
}

/** The server's reply when there was one; otherwise a 4xx naming the local failure. */
function replyOf(error: { code?: string; message: string; response?: string }, fallback: string): SmtpReply {
  const parsed = error.response ? parseReply(error.response) : undefined;
  if (parsed) return parsed;
  return {
    code: 451,
    enhanced: error.code === 'ETIMEDOUT' ? '4.4.2' : '4.4.1',
    text: `${fallback} (${error.code ?? 'error'}: ${error.message})`,
  };
}
