/**
 * Verify's receiver: an MTA outside the plan that takes mail for one domain reserved for testing
 * (RFC 2606 `.test`) and judges each message as a mailbox provider does, with mailauth: SPF for
 * the MAIL FROM (RFC 7208), every DKIM signature (RFC 6376, RFC 8463) and DMARC (RFC 7489).
 *
 * It asks only the running plan's DNS (a c-ares resolver of its own, pointed at the engine's DNS
 * endpoint), and judges SPF from the address the mail really came from: the connector's
 * `sourceOf` names it (a host on loopback connects from 127.0.0.1; the engine knows which
 * planned host dialled). It shares no code with the relays: smtp-server takes the mail, mailauth
 * judges it.
 */
import { authenticate, type AuthenticateResult } from 'mailauth';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Connector, DnsEndpoint, Endpoint } from '../sandbox/engine.js';
import { PROBE_HEADER } from './mailboxes.js';
import { outsideResolver } from './resolver.js';

/** What the receiver saw of one message. */
export interface ReceivedMessage {
  /** The probe's token; for a DSN, the token of the probe it returns. */
  readonly token: string | undefined;
  /** A DSN: the message came from the null reverse-path (RFC 5321 §4.5.5). */
  readonly dsn: boolean;
  /** The address the connection came from, as the engine says; undefined when it cannot say. */
  readonly source: string | undefined;
  readonly helo: string;
  /** MAIL FROM; "" for the null reverse-path. */
  readonly sender: string;
  readonly auth: AuthenticateResult;
  readonly raw: Buffer;
}

export interface Receiver extends AsyncDisposable {
  readonly domain: string;
  readonly endpoint: Endpoint;
  /** Where to resolve and whom to ask about sources: the running plan, once it is up. */
  attach(engine: { readonly dns: DnsEndpoint; readonly connector: Connector }): void;
  /** Every message taken so far, by probe token (or none). */
  readonly received: readonly ReceivedMessage[];
  /** Resolves once every token has arrived, or after `within` ms; `poke` runs between polls. */
  waitFor(tokens: readonly string[], within: number, poke: () => void): Promise<void>;
  close(): Promise<void>;
}

/** The most a message may be: well above any probe. */
const MAX_SIZE = 1_000_000;

/** Local parts the receiver refuses (550 5.1.1): mail to them comes back as a DSN. */
export const REFUSED_PREFIX = 'refuse-';

export async function startReceiver(domain: string): Promise<Receiver> {
  let engine: { readonly dns: DnsEndpoint; readonly connector: Connector } | undefined;
  let resolver: ReturnType<typeof outsideResolver> | undefined;
  const received: ReceivedMessage[] = [];
  const suffix = `@${domain}`;

  const judge = async (raw: Buffer, session: SMTPServerSession): Promise<void> => {
    if (!engine || !resolver) throw new Error('the receiver is not attached to a running plan');
    const remote = { host: session.remoteAddress, port: session.remotePort };
    const source = engine.connector.sourceOf(remote);
    const mailFrom = session.envelope.mailFrom;
    const sender = mailFrom ? mailFrom.address : '';
    const dns = resolver;
    const auth = await authenticate(raw, {
      ip: source ?? session.remoteAddress,
      helo: session.hostNameAppearsAs,
      sender,
      mta: `mx.${domain}`,
      resolver: (name, rrtype) => dns.resolve(name, rrtype),
      disableArc: true,
      disableBimi: true,
    });
    received.push({
      token: probeToken(raw),
      dsn: sender === '',
      source,
      helo: session.hostNameAppearsAs,
      sender,
      auth,
      raw,
    });
  };

  const server = new SMTPServer({
    name: `mx.${domain}`,
    banner: 'verify receiver',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    size: MAX_SIZE,
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      const refuse = (why: string) =>
        callback(Object.assign(new Error(`5.1.1 <${to}>: ${why}`), { responseCode: 550 }));
      if (!to.endsWith(suffix)) refuse('not a domain of this receiver');
      // A recipient that does not exist, so that the host that tried returns a DSN (RFC 3464).
      else if (to.startsWith(REFUSED_PREFIX)) refuse('no such user here');
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        judge(Buffer.concat(chunks), session).then(
          () => callback(),
          (error: Error) => callback(Object.assign(error, { responseCode: 451 })),
        );
      });
    },
  });
  server.on('error', () => {}); // a broken client connection is the client's problem
  const endpoint = await new Promise<Endpoint>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve({ host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 });
    });
  });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    domain,
    endpoint,
    attach(running) {
      engine = running;
      resolver = outsideResolver(running.dns, { timeoutMs: 1000, tries: 3 });
    },
    received,
    async waitFor(tokens, within, poke) {
      const deadline = performance.now() + within;
      const arrived = () => {
        const seen = new Set(received.map((m) => m.token));
        return tokens.every((t) => seen.has(t));
      };
      while (!arrived() && performance.now() < deadline) {
        poke();
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The probe token of a message: its X-Mxplan-Probe field, or for a DSN the field among the
 * returned headers (RFC 3462 text/rfc822-headers).
 */
function probeToken(raw: Buffer): string | undefined {
  return new RegExp(`^${PROBE_HEADER}:[ \\t]*(\\S+)`, 'im').exec(raw.toString('latin1'))?.[1];
}
