/**
 * The server side of a relay: smtp-server, configured for a planned host, with its callbacks
 * wrapped into async handlers in exactly this one place. A handler rejects with a SmtpReplyError
 * to refuse; any other error becomes a generic 4xx (RFC 5321 §4.2.1: our failure is never the
 * client's permanent failure), and its detail goes to onError, never to the client.
 *
 * Options that differ from smtp-server's defaults (as of 3.21), and why:
 * - disableReverseLookup: the default reverse lookup uses the system resolver, which leaves loopback;
 * - authOptional + AUTH disabled: planned hosts relay to each other without AUTH; a submission
 *   listener (`auth`, RFC 6409) instead requires AUTH PLAIN (RFC 4954) before MAIL (530 5.7.0),
 *   and takes it only after STARTTLS (538 5.7.11, RFC 4954 §6);
 * - STARTTLS (RFC 3207) with the host's own certificate when `tls` is given (the sandbox's CA
 *   issues it, src/tls/pki.ts), and not offered at all otherwise: smtp-server's built-in
 *   certificate is for localhost and expired, so no client could validate it;
 * - size + maxRecipients: SIZE is advertised and enforced while reading (inbound.ts), and a
 *   transaction takes at most `maxRecipients` (>= 100, RFC 5321 §4.5.3.1.8), then 452;
 * - closeTimeout short, for stop();
 * - no 100 ms pause before the greeting (greetAtOnce below).
 *
 * The listening socket is ours, not smtp-server's: each connection is admitted first
 * (admission.ts: the host's session limits, 421 4.7.0 beyond them) and given its deadlines
 * (deadline.ts: Postfix's per-request smtpd_timeout), then handed to smtp-server's connect().
 * smtp-server's own idle timeout stays as a backstop at twice the command deadline.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ResourceError } from '../errors.js';
import type { TlsIdentity } from '../tls/pki.js';
import type { SmtpLimits } from '../topology/types.js';
import { Admission } from './admission.js';
import { SessionDeadline, type DeadlineSettings } from './deadline.js';
import { readInbound, type InboundMessage } from './inbound.js';
import { localFailure, REPLIES, SmtpReplyError, replyText, type SmtpReply } from './replies.js';

export interface SessionInfo {
  readonly id: string;
  readonly helo: string;
  readonly remoteAddress: string;
  readonly from: string;
  readonly recipients: readonly string[];
  /** The session went through STARTTLS (RFC 3207). */
  readonly secure: boolean;
  /** MAIL FROM carried SMTPUTF8 (RFC 6531 §3.4). */
  readonly smtpUtf8: boolean;
  /** Who logged in with AUTH (RFC 4954), as `auth` named them; undefined without AUTH. */
  readonly user: string | undefined;
}

/** A submission listener's logins (RFC 4954 AUTH PLAIN). */
export interface SubmissionAuth {
  /** The user a username and password log in as, or undefined when they do not (535 5.7.8). */
  authenticate(username: string, password: string): string | undefined;
}

export interface InboundHandlers {
  mailFrom(address: string, session: SessionInfo): Promise<void>;
  rcptTo(address: string, session: SessionInfo): Promise<void>;
  /** Takes responsibility for the message (or throws); returns the 250 reply. */
  data(message: InboundMessage & { data: Buffer }, session: SessionInfo): Promise<SmtpReply>;
  /** A reply was refused to the client (for the log). */
  refused(stage: 'mail' | 'rcpt' | 'data', reply: SmtpReply, address?: string): void;
}

export interface ServerOptions {
  /** This host's planned name, for the greeting. */
  readonly name: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  /** Sessions at once, in all and per client address (the host's plan). */
  readonly limits: SmtpLimits;
  readonly deadlines: DeadlineSettings;
  /** The host's key and certificate: STARTTLS is offered with them. Absent: no STARTTLS. */
  readonly tls?: TlsIdentity;
  /** A submission listener (RFC 6409): AUTH PLAIN over STARTTLS is required, with these logins. Needs `tls`. */
  readonly auth?: SubmissionAuth;
  readonly handlers: InboundHandlers;
  readonly onError: (error: Error) => void;
}

export interface ListeningServer {
  readonly address: string;
  readonly port: number;
  /**
   * Stops listening. Open sessions get smtp-server's grace period (closeTimeout), unless
   * `abrupt`: then every connection is cut at once, as when a host dies.
   */
  close(options?: { abrupt?: boolean }): Promise<void>;
}

export async function listenSmtp(
  options: ServerOptions,
  listen: { address: string; port: number },
): Promise<ListeningServer> {
  const { handlers, auth } = options;
  if (auth && !options.tls) throw new Error('a submission listener needs TLS: AUTH PLAIN never goes in clear');
  const info = (session: SMTPServerSession): SessionInfo => ({
    id: session.id,
    helo: session.hostNameAppearsAs || '',
    remoteAddress: session.remoteAddress,
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    recipients: session.envelope.rcptTo.map((r) => r.address),
    secure: session.secure === true,
    smtpUtf8: session.envelope.smtpUtf8 === true,
    user: typeof session.user === 'string' ? session.user : undefined,
  });

  /** Each session's deadlines, by smtp-server session id (ours: see connect below). */
  const deadlines = new Map<string, SessionDeadline>();

  /** The one adapter from async handlers to smtp-server's callbacks; the client waits meanwhile. */
  const settle = (
    stage: 'mail' | 'rcpt' | 'data',
    address: string | undefined,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ) => {
    deadlines.get(session.id)?.busy();
    return {
      ok: (reply?: SmtpReply) => callback(null, reply && replyText(reply)),
      fail: (error: unknown) => {
        // Our own failure: the client gets a generic 4xx, the log gets the detail (replies.ts).
        if (!(error instanceof SmtpReplyError))
          options.onError(error instanceof Error ? error : new Error(String(error)));
        const reply = error instanceof SmtpReplyError ? error.reply : localFailure(error);
        handlers.refused(stage, reply, address);
        callback(new SmtpReplyError(reply));
      },
    };
  };

  const server = new SMTPServer({
    name: options.name,
    banner: 'mxplan sandbox relay',
    disableReverseLookup: true,
    authOptional: auth === undefined,
    ...(auth && {
      authMethods: ['PLAIN'],
      authRequiredMessage: '5.7.0 Authentication required',
      onAuth(credentials, _session, callback) {
        const user = auth.authenticate(credentials.username ?? '', credentials.password ?? '');
        // RFC 4954 §6: 535 5.7.8, the same for an unknown user as for a wrong password.
        if (user === undefined)
          return callback(
            Object.assign(new Error('5.7.8 Error: authentication failed: authentication failure'), {
              responseCode: 535,
            }),
          );
        callback(null, { user });
      },
    }),
    ...(options.tls
      ? { disabledCommands: auth ? [] : ['AUTH'], key: options.tls.key, cert: options.tls.cert }
      : { disabledCommands: ['AUTH', 'STARTTLS'], hideSTARTTLS: true }),
    size: options.maxMessageSize,
    maxRecipients: options.maxRecipients,
    socketTimeout: 2 * options.deadlines.commandDeadline,
    closeTimeout: 1000,
    logger: false,
    onSecure(socket, session, callback) {
      // After STARTTLS the session talks over the TLS socket: the deadlines must watch that one.
      deadlines.get(session.id)?.follow(socket);
      callback();
    },
    onMailFrom(address, session, callback) {
      const s = settle('mail', address.address, session, callback);
      const unsupported = unsupportedParameter(address.args, MAIL_PARAMETERS);
      if (unsupported) return s.fail(new SmtpReplyError(REPLIES.unsupportedParameter(unsupported)));
      handlers.mailFrom(address.address, info(session)).then(() => s.ok(), s.fail);
    },
    onRcptTo(address, session, callback) {
      const s = settle('rcpt', address.address, session, callback);
      const unsupported = unsupportedParameter(address.args, RCPT_PARAMETERS);
      if (unsupported) return s.fail(new SmtpReplyError(REPLIES.unsupportedParameter(unsupported)));
      handlers.rcptTo(address.address, info(session)).then(() => s.ok(), s.fail);
    },
    onData(stream, session, callback) {
      // Consume the whole stream before answering (smtp-server#171): the reply comes after the dot,
      // from which on the client waits for us.
      readInbound(stream, options.maxMessageSize).then(
        (message) => {
          const s = settle('data', undefined, session, callback);
          if (message.oversized || !message.data)
            return s.fail(new SmtpReplyError(REPLIES.messageTooBig(options.maxMessageSize)));
          handlers.data({ ...message, data: message.data }, info(session)).then(s.ok, s.fail);
        },
        (error: unknown) => settle('data', undefined, session, callback).fail(error),
      );
    },
  });
  server.on('error', options.onError);

  const admission = new Admission(options.limits);
  const sockets = new Set<Socket>();
  let sessions = 0;
  const listener = createServer((socket) => {
    socket.setNoDelay(true); // replies are small and awaited: do not hold them for the delayed ACK
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // smtp-server adds its own; a refused socket has none
    const client = clientAddress(socket);
    const refusal = admission.admit(client);
    if (refusal) {
      const which = refusal === 'client' ? ` from ${client}` : '';
      socket.end(`421 4.7.0 ${options.name} Error: too many connections${which}\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const id = (++sessions).toString(36).toUpperCase();
    deadlines.set(
      id,
      new SessionDeadline(socket, options.deadlines, `421 4.4.2 ${options.name} Error: timeout exceeded\r\n`),
    );
    socket.once('close', () => {
      admission.release(client);
      deadlines.delete(id);
    });
    server.connect(socket, { id });
  });
  await new Promise<void>((resolve, reject) => {
    const onListenError = (error: NodeJS.ErrnoException) =>
      reject(
        new ResourceError(`cannot listen on ${listen.address}:${listen.port} (${error.code ?? error.message})`, {
          cause: error,
        }),
      );
    listener.once('error', onListenError);
    listener.listen(listen.port, listen.address, () => {
      listener.removeListener('error', onListenError);
      resolve();
    });
  });
  listener.on('error', options.onError);
  const bound = listener.address() as AddressInfo;
  return {
    address: bound.address,
    port: bound.port,
    close: ({ abrupt = false } = {}) =>
      new Promise<void>((resolve) => {
        // Resolves once every connection is gone; smtp-server tells its sessions 421 after closeTimeout.
        listener.close(() => resolve());
        server.close();
        if (abrupt) for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * RFC 5321 §4.1.1.11: MAIL and RCPT take the parameters of the extensions the server advertises
 * and no others (555). Advertised here: SIZE (RFC 1870), 8BITMIME's BODY (RFC 6152), SMTPUTF8
 * (RFC 6531); DSN is not (smtp-server's hideDSN), so RCPT takes none (NOTIFY, ORCPT get 555).
 */
const MAIL_PARAMETERS: ReadonlySet<string> = new Set(['SIZE', 'BODY', 'SMTPUTF8']);
const RCPT_PARAMETERS: ReadonlySet<string> = new Set();

/** The first parameter not in `known`, as the client wrote it ("FOO=bar"). */
function unsupportedParameter(args: SMTPServerAddress['args'], known: ReadonlySet<string>): string | undefined {
  if (!args) return undefined;
  for (const [name, value] of Object.entries(args))
    if (!known.has(name.toUpperCase())) return value === true ? name : `${name}=${String(value)}`;
  return undefined;
}

/**
 * RFC 5321 §4.3.2 / §4.2.4: EXPN is a command this server knows and does not offer, so 502, not
 * the 500 smtp-server gives any unknown word (which also counts towards its limit of ten).
 * smtp-server finds a command's handler by name on its connection class; this adds one there.
 */
function declineExpn(): void {
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  proto.handler_EXPN ??= function (this: SMTPConnection, _command: Buffer, callback: () => void) {
    this.send(502, '5.5.1 Error: EXPN is not offered');
    callback();
  };
}
declineExpn();

/**
 * RFC 4954 §4: a plaintext mechanism only once the session is encrypted. So EHLO lists AUTH only
 * after STARTTLS (as Postfix's smtpd_tls_auth_only), and AUTH before it gets the refusal §6 names,
 * 538 5.7.11, which smtp-server gives without its enhanced code. Only a listener with AUTH
 * enabled (submission) lists it or reaches the AUTH handler.
 */
function requireTlsForAuth(): void {
  type Handler = (this: SMTPConnection, command: Buffer, callback: () => void) => void;
  type Connection = SMTPConnection & { secure: boolean; _server: { options: { authMethods: string[] } } };
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown> & { __mxplanAuth?: true };
  if (proto.__mxplanAuth) return;
  proto.__mxplanAuth = true;
  const auth = proto.handler_AUTH as Handler;
  proto.handler_AUTH = function (this: Connection, command: Buffer, callback: () => void) {
    if (!this.secure) {
      this.send(538, '5.7.11 Encryption required for requested authentication mechanism');
      return callback();
    }
    auth.call(this, command, callback);
  };
  const ehlo = proto.handler_EHLO as Handler;
  proto.handler_EHLO = function (this: Connection, command: Buffer, callback: () => void) {
    const options = this._server.options;
    const methods = options.authMethods;
    // The server's options are shared by its sessions: hidden for this one reply, which
    // smtp-server builds and sends synchronously.
    if (!this.secure) options.authMethods = [];
    try {
      ehlo.call(this, command, callback);
    } finally {
      options.authMethods = methods;
    }
  };
}
requireTlsForAuth();

/**
 * Greets at once, as Postfix's smtpd does. smtp-server holds each greeting for 100 ms to catch
 * clients that talk first (a pregreet test, which Postfix leaves to postscreen, off unless
 * configured); every new session paid it, every reconnection after a host came back too.
 * smtp-server still answers 421 to a command read before it is ready, but without the pause
 * that window is only the admission and onConnect checks, as in smtpd. This is smtp-server's
 * init (3.21) without the pause; test/mail pins the greeting's timing.
 */
function greetAtOnce(): void {
  type Connection = SMTPConnection & {
    name: string;
    _server: { options: { maxClients?: number }; connections: Set<unknown> };
    _setListeners(callback: () => void): void;
    connectionReady(): void;
    send(code: number, message: string, command: boolean): void;
  };
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown> & { __mxplanGreeting?: true };
  if (proto.__mxplanGreeting) return;
  proto.__mxplanGreeting = true;
  proto.init = function (this: Connection) {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients)
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      this.connectionReady();
    });
  };
}
greetAtOnce();

/**
 * Batches the replies to a pipelined group (RFC 2920 §3.1: the server may), as Postfix's smtpd,
 * which flushes its output only when the client's input buffer is empty. smtp-server writes each
 * reply on its own, and with Nagle off each write is a TCP segment, a wakeup and a read for the
 * client: a pipelined MAIL, RCPT, DATA got three. Here the socket is corked while the parser
 * works on a chunk of input and uncorked once it has consumed it (its write callback: it waits
 * for the client then), so the replies to one chunk leave in one writev.
 *
 * Nothing is held while the server waits for the client: the parser calls back exactly when it
 * wants more input, after the 354 (the message follows it), after the final 250 (the parser's
 * continue() takes the rest of the chunk) and after a 334 (AUTH). Whatever is written outside a
 * chunk (the greeting, a deadline's or shutdown's 421) is not corked; end() uncorks. STARTTLS's
 * 220 is flushed before the TLS socket takes over the raw one, and replies past the socket's
 * high-water mark as soon as smtp-server waits for them to drain. Each reply is still one write,
 * so the deadlines (deadline.ts) see every one. Corks nest: a chunk queued behind the current one
 * is consumed, inside its callback, before the replies go.
 */
function batchReplies(): void {
  // smtp-server 3.21 ships its own declarations: these members are typed, so a release that
  // renames them fails the build rather than leaving the batching silently off.
  const proto = SMTPConnection.prototype as SMTPConnection & { __mxplanBatch?: true };
  if (proto.__mxplanBatch) return;
  proto.__mxplanBatch = true;
  const flush = (socket: Socket) => {
    while (socket.writableCorked > 0) socket.uncork();
  };
  // The originals, each called below with its own connection (or parser) as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { _createParser: createParser, upgrade, _whenWritable: whenWritable } = proto;
  proto._createParser = function () {
    const parser = createParser.call(this);
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const write = parser._write;
    parser._write = (chunk, encoding, next) => {
      const socket = this._socket;
      socket.cork();
      write.call(parser, chunk, encoding, (error) => {
        next(error);
        socket.uncork();
      });
    };
    return parser;
  };
  proto.upgrade = function (callback, secureCallback) {
    // The 220 (RFC 3207 §4) goes before the handshake, and in clear.
    flush(this._socket);
    upgrade.call(this, callback, secureCallback);
  };
  // Past the socket's high-water mark smtp-server reads no further command until the replies
  // have drained (a client that never reads must not grow them without bound): they must go.
  proto._whenWritable = function (next) {
    if (this._socket.writableNeedDrain) flush(this._socket);
    whenWritable.call(this, next);
  };
}
batchReplies();

/** The client's address as anvil counts it: an IPv4-mapped IPv6 address is its IPv4 address. */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
