/**
 * Verify's stand-in for the rest of the Internet: an MTA outside the plan that delivers the way
 * RFC 5321 §5.1 says any MTA must, and nothing more. It resolves MX records through the running
 * plan's DNS with c-ares, tries the exchanges in preference order (equal preferences in random
 * order), resolves each exchange's addresses, and connects through the running plan's connector.
 * The SMTP client is nodemailer's (pooled per endpoint: smtp-server delays each greeting).
 *
 * It shares no code with the relays' client on purpose: if their next-hop logic were wrong, a
 * sender built on it would agree with the bug.
 */
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Connector, Endpoint } from '../sandbox/engine.js';
import { lookupFailure } from './resolver.js';

/** The lookups an MTA makes to deliver (resolver.ts gives one). */
export interface MxResolver {
  resolveMx(domain: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** What nodemailer's SMTP transports resolve with (its own type is `any`). */
interface SentInfo {
  readonly response: string;
  readonly rejectedErrors?: RcptError[];
}

export interface SendOutcome {
  /** The SMTP reply code of the transaction's end (250 when accepted), or 0 when no MX answered. */
  readonly code: number;
  readonly response: string;
  /** The planned address that took the message (or refused it). */
  readonly address: string | undefined;
}

interface RcptError {
  recipient?: string;
  responseCode?: number;
  response?: string;
  message: string;
}

function replyOf(refusal: RcptError | undefined, accepted: string, address: string): SendOutcome {
  if (!refusal) return { code: Number(/^\d{3}/.exec(accepted)?.[0] ?? 250), response: accepted, address };
  return { code: refusal.responseCode ?? 0, response: refusal.response ?? refusal.message, address };
}

/**
 * The raw message's own Message-ID, handed to nodemailer so that it does not make one up for its
 * bookkeeping (five randomBytes calls per message on a busy thread); the message is sent as is.
 */
function ownMessageId(raw: string): { messageId?: string } {
  const id = /^Message-ID:[ \t]*(<[^>\r\n]+>)/im.exec(raw)?.[1];
  return id ? { messageId: id } : {};
}

/** How long a connection may take before the next address is tried, ms. */
const CONNECT_TIMEOUT = 3_000;

/** Longer than the pool's own connection, greeting and socket timeouts together. */
const SEND_TIMEOUT = 30_000;

/** The addresses to try for a domain; `complete` is false when a lookup failed temporarily. */
interface Route {
  readonly addresses: string[];
  readonly complete: boolean;
}

/** The route to a domain that publishes a null MX (RFC 7505): none, on purpose. */
const NULL_MX: string[] = [];

export class InternetSender {
  private readonly transports = new Map<string, Transporter>();
  /** MX and address lookups per domain; the zones do not change while verify runs (as a resolver caches within TTLs). */
  private readonly routes = new Map<string, Promise<Route>>();

  constructor(
    private readonly resolver: MxResolver,
    private readonly connector: Connector,
    private readonly heloName = 'mta.outside.example',
  ) {}

  /** Delivers `raw` for `to` (one recipient) to the best MX of its domain that answers. */
  async send(from: string, to: string, raw: string): Promise<SendOutcome> {
    const domain = to.slice(to.lastIndexOf('@') + 1);
    let lastFailure: SendOutcome = { code: 0, response: `no MX of ${domain} answered`, address: undefined };
    let route = this.routes.get(domain);
    if (!route) this.routes.set(domain, (route = this.addressesFor(domain)));
    const { addresses, complete } = await route;
    // A lookup failed temporarily (a timeout on a loaded machine): ask again next time, not cache it.
    if (!complete && this.routes.get(domain) === route) this.routes.delete(domain);
    // RFC 7505 §4.1: a sending MTA fails mail to a null-MX domain at once, without queueing.
    if (addresses === NULL_MX)
      return {
        code: 556,
        response: `556 5.1.10 <${to}>: ${domain} publishes a null MX: it accepts no mail (RFC 7505)`,
        address: undefined,
      };
    for (const address of addresses) {
      const outcome = await this.sendTo(address, from, to, raw);
      // Connection failures and 4xx greetings move on to the next address (RFC 5321 §5.1);
      // a reply to the transaction itself is the answer.
      if (outcome.code !== 0 && !(outcome.code === 421)) return outcome;
      lastFailure = outcome;
    }
    return lastFailure;
  }

  /** Sends straight to one planned address (to test what a given host says). */
  async sendTo(address: string, from: string, to: string, raw: string): Promise<SendOutcome> {
    const endpoint = this.connector.endpointFor(address);
    if (!endpoint) return { code: 0, response: `${address} is not reachable from here`, address };
    const transport = this.transportFor(endpoint);
    try {
      const info = await this.sendWithin(transport, { envelope: { from, to: [to] }, raw, ...ownMessageId(raw) });
      return { code: Number(/^\d{3}/.exec(info.response)?.[0] ?? 250), response: info.response, address };
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; response?: string; message: string };
      // No SMTP reply: the connection failed (the host went down). A pool that has seen its host
      // die does not recover when the host comes back (nodemailer keeps waiting on it), so it is
      // dropped and the next send dials a new one; only this pool, not one a later send made.
      if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || !e.responseCode) {
        this.drop(endpoint, transport);
        return { code: 0, response: e.message, address };
      }
      return { code: e.responseCode, response: e.response ?? e.message, address };
    }
  }

  /**
   * sendMail, bounded: a pool that stalls (its host died mid-session) fails this one send after
   * SEND_TIMEOUT instead of holding verify forever.
   */
  private sendWithin(transport: Transporter, mail: Parameters<Transporter['sendMail']>[0]): Promise<SentInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no reply within ${SEND_TIMEOUT / 1000} s`), { code: 'ETIMEDOUT' })),
        SEND_TIMEOUT,
      );
    });
    const sent = transport.sendMail(mail) as Promise<SentInfo>;
    return Promise.race([sent, timeout]).finally(() => clearTimeout(timer));
  }

  /** Forgets a pool that failed, unless a later send has already replaced it. */
  private drop(endpoint: Endpoint, transport: Transporter): void {
    const key = `${endpoint.host}:${endpoint.port}`;
    if (this.transports.get(key) !== transport) return;
    this.transports.delete(key);
    transport.close();
  }

  /** One pooled nodemailer transport per endpoint. */
  private transportFor(endpoint: Endpoint): Transporter {
    const key = `${endpoint.host}:${endpoint.port}`;
    let transport = this.transports.get(key);
    if (!transport) {
      transport = nodemailer.createTransport({
        host: endpoint.host,
        port: endpoint.port,
        name: this.heloName,
        pool: true,
        maxConnections: 24,
        maxMessages: Infinity,
        ignoreTLS: true,
        connectionTimeout: CONNECT_TIMEOUT,
        greetingTimeout: 3_000,
        socketTimeout: 15_000,
        // nodemailer writes the message and its final dot separately; with Nagle on, the dot
        // waits for the server's delayed ACK (40 ms on Linux). Dial with Nagle off.
        getSocket: (_options: unknown, callback: (error: Error | null, socket?: { connection: Socket }) => void) => {
          // Through the engine when it dials for its endpoints (the lab: from the outside, so a
          // refused or unanswered connection is the host's own), bounded as nodemailer's own would be.
          if (this.connector.dial) {
            this.connector.dial(endpoint, { timeoutMs: CONNECT_TIMEOUT }).then(
              (socket) => {
                socket.setNoDelay(true);
                callback(null, { connection: socket });
              },
              (error: Error) => callback(error),
            );
            return;
          }
          const socket = connect(endpoint.port, endpoint.host);
          socket.setNoDelay(true);
          socket.once('connect', () => callback(null, { connection: socket }));
          socket.once('error', (error) => callback(error));
        },
      } as SMTPPool.Options);
      this.transports.set(key, transport);
    }
    return transport;
  }

  /**
   * What one planned address says at RCPT to each of `recipients`, in one transaction per 50
   * recipients (well below the 100 a server must take, RFC 5321 §4.5.3.1.8). A recipient it
   * accepts gets the message; one it refuses gets its own reply.
   */
  async rcptReplies(
    address: string,
    from: string,
    recipients: readonly string[],
    raw: string,
  ): Promise<Map<string, SendOutcome>> {
    const replies = new Map<string, SendOutcome>();
    const endpoint = this.connector.endpointFor(address);
    for (let i = 0; i < recipients.length; i += 50) {
      const chunk = recipients.slice(i, i + 50);
      if (!endpoint) {
        for (const r of chunk) replies.set(r, { code: 0, response: `${address} is not reachable from here`, address });
        continue;
      }
      const transport = this.transportFor(endpoint);
      try {
        const info = await this.sendWithin(transport, {
          envelope: { from, to: [...chunk] },
          raw,
          ...ownMessageId(raw),
        });
        const rejected = info.rejectedErrors ?? [];
        const refused = new Map(rejected.map((e) => [e.recipient, e] as const));
        for (const r of chunk) replies.set(r, replyOf(refused.get(r), info.response, address));
      } catch (error) {
        const e = error as RcptError & { rejectedErrors?: RcptError[] };
        if (!e.responseCode && !e.rejectedErrors) this.drop(endpoint, transport); // no reply at all: as in sendTo
        const refused = new Map((e.rejectedErrors ?? []).map((x) => [x.recipient, x]));
        for (const r of chunk)
          replies.set(
            r,
            refused.has(r)
              ? replyOf(refused.get(r), '', address)
              : { code: e.responseCode ?? 0, response: e.response ?? e.message, address },
          );
      }
    }
    return replies;
  }

  /** The addresses to try for a domain, in MX order (RFC 5321 §5.1), implicit MX included. */
  private async addressesFor(domain: string): Promise<Route> {
    let exchanges: string[];
    let complete = true;
    try {
      const mx = await this.resolver.resolveMx(domain);
      if (mx.length === 1 && mx[0]!.exchange === '') return { addresses: NULL_MX, complete };
      const shuffled = mx.map((m) => ({ ...m, tiebreak: Math.random() }));
      shuffled.sort((a, b) => a.priority - b.priority || a.tiebreak - b.tiebreak);
      exchanges = shuffled.map((m) => m.exchange);
    } catch (error) {
      const outcome = lookupFailure(error);
      if (outcome !== 'nodata') return { addresses: [], complete: outcome === 'nxdomain' };
      exchanges = [domain]; // implicit MX: the domain's own address records
    }
    const addresses: string[] = [];
    for (const exchange of exchanges) {
      for (const lookup of [this.resolver.resolve6.bind(this.resolver), this.resolver.resolve4.bind(this.resolver)]) {
        const found = await lookup(exchange).catch((error: unknown) => {
          if (lookupFailure(error) === 'temporary') complete = false;
          return [] as string[];
        });
        addresses.push(...found);
      }
    }
    return { addresses, complete };
  }

  /**
   * Closes every pooled connection: after a host went down, was cut off or came back, a
   * connection from before may lead nowhere (through a cut link it hangs instead of failing).
   */
  dropConnections(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }

  close(): void {
    this.dropConnections();
  }
}
