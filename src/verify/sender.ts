/**
 * Verify's stand-in for the rest of the Internet: an MTA outside the plan that delivers the way
 * RFC 5321 §5.1 says any MTA must, and nothing more. It resolves MX records through the running
 * plan's DNS with c-ares, tries the exchanges in preference order (equal preferences in random
 * order), resolves each exchange's addresses, and connects through the running plan's connector.
 * The SMTP client is nodemailer's (pooled per endpoint: smtp-server delays each greeting).
 *
 * It shares no code with the relays' client on purpose: if their next-hop logic were wrong, a
 * sender built on it would agree with the bug.
 *
 * MTA-STS (RFC 8461), with the running plan's CA: before it delivers to a domain it discovers
 * the domain's policy (sts.ts). Under a policy in enforce mode it delivers only to MX hosts the
 * policy names (§4.1), each over STARTTLS with a certificate valid for that MX name under the CA
 * (§4.2); an MX that fails either is passed over like one that is down (§5), and the outcome says
 * why. In testing mode, or when the policy cannot be fetched (§3.3), it delivers as without one.
 *
 * An envelope with an internationalized address goes over SMTPUTF8 (RFC 6531): nodemailer puts
 * it on MAIL FROM for such an envelope when the server offers it (test/verify/international.test.ts
 * sees it in every Received field). A server that does not offer it gets the envelope without,
 * and a conforming one refuses it (553 5.6.7), which verify reports as that host's answer.
 */
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Connector, Endpoint } from '../sandbox/engine.js';
import { lookupFailure } from './resolver.js';
import { discoverPolicy, policyNames, type Discovery, type StsResolver } from './sts.js';

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

/**
 * How long a connection may take before the next address is tried, ms: what a cut host costs a
 * send through the engine's dial (Connector.dial). The kernel makes a connection, not the MTA
 * behind it, so a loaded host is no slower to connect to; 1.5 s outlasts one lost SYN (Linux
 * sends it again after 1 s) between endpoints on one machine.
 */
const CONNECT_TIMEOUT = 1_500;

/**
 * How long a greeting may take, ms, for an engine without a dial of its own: behind a loopback
 * endpoint a cut host may be a port that takes the connection and never greets (the sandbox's
 * port, to anyone not dialling through Connector.dial), so this is how long telling a cut takes.
 */
const GREETING_TIMEOUT = 3_000;

/**
 * The same through the engine's own dial (Connector.dial), where a cut host never connects: a host
 * that took the connection and is slow to greet is busy, not cut (a loaded Postfix starts an smtpd
 * per session). RFC 5321 §4.5.3.2.1 gives it 5 minutes; verify waits this long.
 */
const DIALLED_GREETING_TIMEOUT = 12_000;

/** How long an address that gave no reply is tried after the others, ms (dropConnections forgets sooner). */
const UNREACHABLE_MEMORY = 30_000;

/** Longer than the pool's own connection, greeting and socket timeouts together. */
const SEND_TIMEOUT = 30_000;

/** The addresses to try for a domain, each with its MX name; `complete` is false when a lookup failed temporarily. */
interface Route {
  readonly addresses: { readonly exchange: string; readonly address: string }[];
  readonly complete: boolean;
}

/** The route to a domain that publishes a null MX (RFC 7505): none, on purpose. */
const NULL_MX: Route['addresses'] = [];

/** A delivery that must be TLS with a certificate valid for `servername` (RFC 8461 §4.2). */
interface RequiredTls {
  readonly servername: string;
}

export interface SenderOptions {
  readonly heloName?: string;
  /** The running plan's CA: the only one the sender trusts, for MTA-STS. Absent: no MTA-STS. */
  readonly ca?: string;
}

export class InternetSender {
  private readonly transports = new Map<string, Transporter>();
  /** Sends under way per pool, and the pools to close when theirs end (dropConnections). */
  private readonly inFlight = new Map<Transporter, number>();
  private readonly retiring = new Set<Transporter>();
  /** MX and address lookups per domain; the zones do not change while verify runs (as a resolver caches within TTLs). */
  private readonly routes = new Map<string, Promise<Route>>();
  /** The MTA-STS policy per domain, fetched once (a sender caches it for max_age, RFC 8461 §5.1). */
  private readonly policies = new Map<string, Promise<Discovery>>();
  /**
   * When each address last gave no SMTP reply. RFC 5321 §4.5.4.1: a client SHOULD keep a list of
   * hosts it cannot reach, rather than pay every timeout again for every message (a cut MX
   * costs each send its timeouts otherwise). Cleared whenever a host changes state.
   */
  private readonly unreachable = new Map<string, number>();
  private readonly heloName: string;

  constructor(
    private readonly resolver: MxResolver & StsResolver,
    private readonly connector: Connector,
    private readonly options: SenderOptions = {},
  ) {
    this.heloName = options.heloName ?? 'mta.outside.example';
  }

  /** The domain's MTA-STS policy as this sender sees it (RFC 8461 §3). */
  policyOf(domain: string): Promise<Discovery> {
    let discovery = this.policies.get(domain);
    if (!discovery) {
      discovery = discoverPolicy(domain, this.resolver, this.connector, this.options.ca);
      this.policies.set(domain, discovery);
    }
    return discovery;
  }

  /** Delivers `raw` for `to` (one recipient) to the best MX of its domain that answers. */
  async send(from: string, to: string, raw: string): Promise<SendOutcome> {
    const domain = to.slice(to.lastIndexOf('@') + 1);
    const failures: SendOutcome[] = [];
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
    const sts = this.options.ca === undefined ? undefined : await this.policyOf(domain);
    const enforced = sts?.kind === 'policy' && sts.policy.mode === 'enforce' ? sts.policy : undefined;
    // MX hosts with an address that lately gave no reply go after the others (a cut host is
    // silent on each of its addresses), judged afresh at each step, but are never skipped: when
    // every other MX failed too they still get their chance (RFC 5321 §4.5.4.1).
    const silent = (exchange: string) =>
      addresses.some((a) => a.exchange === exchange && this.unreachableLately(a.address));
    const untried = [...addresses];
    while (untried.length > 0) {
      const next = untried.findIndex(({ exchange }) => !silent(exchange));
      const { exchange, address } = untried.splice(Math.max(next, 0), 1)[0]!;
      if (enforced && !policyNames(enforced, exchange)) {
        failures.push({
          code: 0,
          response: `${exchange} is not an MX host of ${domain}'s MTA-STS policy (enforce; mx: ${enforced.mx.join(', ')}), so it is not delivered to (RFC 8461 §4.1)`,
          address,
        });
        continue;
      }
      const outcome = await this.sendTo(address, from, to, raw, enforced && { servername: exchange });
      // Connection failures and 4xx greetings move on to the next address (RFC 5321 §5.1);
      // a reply to the transaction itself is the answer.
      if (outcome.code !== 0 && !(outcome.code === 421)) return outcome;
      failures.push(outcome);
    }
    // Every MX's reason, in the order tried: the last alone may hide the one that matters.
    const last = failures.at(-1);
    if (!last) return { code: 0, response: `no MX of ${domain} answered`, address: undefined };
    return { ...last, response: [...new Set(failures.map((f) => f.response))].join('; ') };
  }

  /** Whether `address` gave no SMTP reply within the last UNREACHABLE_MEMORY ms (forgets it after). */
  private unreachableLately(address: string): boolean {
    const since = this.unreachable.get(address);
    if (since === undefined) return false;
    if (Date.now() - since <= UNREACHABLE_MEMORY) return true;
    this.unreachable.delete(address);
    return false;
  }

  /** Sends straight to one planned address (to test what a given host says), over TLS when `tls` says so. */
  async sendTo(address: string, from: string, to: string, raw: string, tls?: RequiredTls): Promise<SendOutcome> {
    const endpoint = this.connector.endpointFor(address);
    if (!endpoint) return { code: 0, response: `${address} is not reachable from here`, address };
    const transport = this.transportFor(endpoint, tls);
    try {
      const info = await this.sendWithin(transport, { envelope: { from, to: [to] }, raw, ...ownMessageId(raw) });
      return { code: Number(/^\d{3}/.exec(info.response)?.[0] ?? 250), response: info.response, address };
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; response?: string; message: string };
      // No SMTP reply: the connection failed (the host went down). A pool that has seen its host
      // die does not recover when the host comes back (nodemailer keeps waiting on it), so it is
      // dropped and the next send dials a new one; only this pool, not one a later send made.
      if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || !e.responseCode) {
        this.drop(endpoint, transport, tls);
        // A timeout or a closed connection is the host's silence; a failed certificate is not.
        if (e.code === 'ETIMEDOUT' || e.code === 'ECONNECTION') this.unreachable.set(address, Date.now());
        const response = tls
          ? `no TLS with a certificate valid for ${tls.servername} (MTA-STS enforce, RFC 8461 §5): ${e.message}`
          : e.message;
        return { code: 0, response, address };
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
    this.inFlight.set(transport, (this.inFlight.get(transport) ?? 0) + 1);
    return Promise.race([sent, timeout]).finally(() => {
      clearTimeout(timer);
      const left = this.inFlight.get(transport)! - 1;
      if (left > 0) return void this.inFlight.set(transport, left);
      this.inFlight.delete(transport);
      if (this.retiring.delete(transport)) transport.close();
    });
  }

  /** Forgets a pool that failed, unless a later send has already replaced it. */
  private drop(endpoint: Endpoint, transport: Transporter, tls?: RequiredTls): void {
    const key = poolKey(endpoint, tls);
    if (this.transports.get(key) !== transport) return;
    this.transports.delete(key);
    transport.close();
  }

  /** One pooled nodemailer transport per endpoint (and MX name, for TLS). */
  private transportFor(endpoint: Endpoint, tls?: RequiredTls): Transporter {
    const key = poolKey(endpoint, tls);
    let transport = this.transports.get(key);
    if (!transport) {
      transport = nodemailer.createTransport({
        host: endpoint.host,
        port: endpoint.port,
        name: this.heloName,
        pool: true,
        maxConnections: 24,
        maxMessages: Infinity,
        ...this.tlsOptions(tls),
        connectionTimeout: CONNECT_TIMEOUT,
        greetingTimeout: this.connector.dial ? DIALLED_GREETING_TIMEOUT : GREETING_TIMEOUT,
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

  private tlsOptions(tls: RequiredTls | undefined): object {
    if (!tls) return { ignoreTLS: true };
    return {
      requireTLS: true,
      tls: { ca: [this.options.ca!], servername: tls.servername, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    };
  }

  /**
   * Whether one planned address of an MX holds a STARTTLS session with a certificate valid for
   * the MX name under the running plan's CA (RFC 8461 §4.2): the reason when it does not.
   */
  async checkTls(address: string, servername: string): Promise<string | undefined> {
    if (this.options.ca === undefined) return 'the running plan hands out no CA';
    const endpoint = this.connector.endpointFor(address);
    if (!endpoint) return `${address} is not reachable from here`;
    const transport = nodemailer.createTransport({
      host: endpoint.host,
      port: endpoint.port,
      name: this.heloName,
      connectionTimeout: CONNECT_TIMEOUT,
      greetingTimeout: GREETING_TIMEOUT,
      socketTimeout: 10_000,
      ...this.tlsOptions({ servername }),
    } as SMTPPool.Options);
    try {
      await transport.verify();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      transport.close();
    }
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
    const addresses: Route['addresses'] = [];
    for (const exchange of exchanges) {
      for (const lookup of [this.resolver.resolve6.bind(this.resolver), this.resolver.resolve4.bind(this.resolver)]) {
        const found = await lookup(exchange).catch((error: unknown) => {
          if (lookupFailure(error) === 'temporary') complete = false;
          return [] as string[];
        });
        addresses.push(...found.map((address) => ({ exchange: exchange.toLowerCase(), address })));
      }
    }
    return { addresses, complete };
  }

  /**
   * Retires every pooled connection: after a host went down, was cut off or came back, a
   * connection from before may lead nowhere (through a cut link it hangs instead of failing), so
   * the next send dials anew. A pool with sends in flight closes when the last one ends: closing
   * it under them would fail them ("Connection pool was closed") for a change of another host,
   * and the host's state events may come after those sends began.
   */
  dropConnections(): void {
    this.unreachable.clear();
    for (const t of this.transports.values()) {
      if (this.inFlight.has(t)) this.retiring.add(t);
      else t.close();
    }
    this.transports.clear();
  }

  close(): void {
    for (const t of [...this.transports.values(), ...this.retiring]) t.close();
    this.transports.clear();
    this.retiring.clear();
  }
}

function poolKey(endpoint: Endpoint, tls: RequiredTls | undefined): string {
  return `${endpoint.host}:${endpoint.port}${tls ? ` tls ${tls.servername}` : ''}`;
}
