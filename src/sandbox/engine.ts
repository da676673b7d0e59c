/**
 * The contract of a running plan: what verify, the CLI and a dashboard may ask of any engine that
 * runs a plan. The built-in sandbox (sandbox.ts: mxplan's responder and relays on loopback) is one
 * engine; real MTAs in network namespaces are meant to be another, so every member is one a
 * real Postfix can keep:
 *
 *   submit    sendmail(1) at the host, as one of its local users
 *   queued    postqueue -j (showq)
 *   retryNow  postqueue -f
 *   down/cut  postfix stop, or the host's link down; up: postfix start, or the link up
 *   activity  what the host's mail log says (smtpd, cleanup, qmgr, smtp, virtual, bounce)
 *   dns log   what the name server's query log says (BIND querylog, NSD/Knot dnstap)
 *   settled   the log read to its end, the queues still, then quiet
 *   switchPlan  `mxplan mta` and `mxplan zones` for the new plan, then `postfix reload` on
 *             every host and a reload of the name servers
 *
 * Nothing here names mxplan's relay, its queue or its events: a caller that needs more than this
 * is tied to one engine. A leaf: it imports the plan's types (and node:net's Socket) and nothing else.
 */
import type { Socket } from 'node:net';
import type { Plan } from '../topology/types.js';

/** Where a caller dials to reach something of the running plan. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * How the caller reaches a planned address and port (25, SMTP, when omitted; 443 for a web
 * host's HTTPS): the loopback endpoint standing in for it (the built-in sandbox), or the planned
 * address and port themselves (an engine at the planned addresses). Undefined: it cannot be
 * reached from where the caller runs, and must not be dialled.
 */
export interface Connector {
  endpointFor(address: string, port?: number): Endpoint | undefined;
  /**
   * The planned address a connection to one of the caller's outside endpoints (EngineOptions
   * `outside`) really comes from, given the remote end its listener saw; undefined when no planned
   * host stands behind it. An engine whose hosts connect from their planned addresses returns
   * `remote.host` itself; one on loopback knows which host dialled through it.
   */
  sourceOf(remote: Endpoint): string | undefined;
  /**
   * Opens a TCP connection to one of its endpoints, from where the plan's outside stands. An
   * engine whose endpoints stand in for addresses the caller cannot reach (the lab's loopback
   * forwarders) opens it at the planned address itself, so a refusal or a timeout is the host's
   * own and not the forwarder's. Without it, callers use net.connect. Rejects as net.connect
   * fails (ECONNREFUSED, ETIMEDOUT once `timeoutMs` has passed without a connection).
   */
  dial?(endpoint: Endpoint, options?: DialOptions): Promise<Socket>;
}

export interface DialOptions {
  /** Give up after this long without a connection, ms. */
  readonly timeoutMs?: number;
}

export type MailProtocol = 'imap' | 'pop3';

/**
 * How users read their mail (IMAP, POP3) at the stores, for an engine that runs a mailbox
 * server (Dovecot, in the lab and, where it can run, in the built-in sandbox: the same endpoints
 * as `services.imap`/`pop3`). Passwords are the engine's own, made for the run.
 */
export interface MailAccess {
  /** What serves the mailboxes, for reports ("Dovecot 2.3.19.1"). */
  readonly server: string;
  /**
   * Where a user of the plan logs in at a host over IMAP or POP3, as the engine lets a client
   * reach it (the lab: from the host itself, where Dovecot takes a plaintext login);
   * undefined for a host that serves no mailboxes.
   */
  endpointFor(hostId: string, protocol: MailProtocol): Endpoint | undefined;
  /** The user's password; undefined for an address that cannot log in anywhere. */
  password(address: string): string | undefined;
}

/**
 * A mail domain outside the plan that the caller takes mail for (verify's receiver): the engine
 * serves it in its DNS beside the plan's zones, as a zone that is not the plan's (never in the
 * generated zone files), and lets the hosts deliver to it as to any domain of the Internet.
 */
export interface OutsideDomain {
  /** A name reserved for testing (RFC 2606 `.test`), inside no zone of the plan. */
  readonly domain: string;
  /** The caller's own SMTP listener: where connections to the domain's mail exchange arrive. */
  readonly endpoint: Endpoint;
}

/** How the engine publishes an outside domain: its MX target and that target's addresses. */
export interface OutsideExchange {
  readonly domain: string;
  readonly exchange: string;
  /** Addresses no planned host or name server has. */
  readonly addresses: readonly string[];
}

/**
 * The running plan's TLS: every certificate its hosts present (STARTTLS on SMTP, HTTPS on the
 * web hosts that serve MTA-STS policies) chains to this CA, and a client that validates them
 * trusts it alone.
 */
export interface PlanTls {
  /** The CA's certificate, PEM. */
  readonly ca: string;
}

export interface DnsEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * The services a host may offer a client, by name: `smtp` (port 25: MTA to MTA) on every host;
 * `submission` (587, RFC 6409: AUTH PLAIN over STARTTLS, for the store's own users), `imap` (143)
 * and `pop3` (110) on the stores of an engine that runs them. The built-in sandbox runs
 * submission on every store, and IMAP and POP3 where Dovecot is installed.
 */
export type ServiceName = 'smtp' | 'submission' | 'imap' | 'pop3';

export interface HostEndpoint {
  readonly hostId: string;
  readonly fqdn: string;
  /** The planned addresses this endpoint stands in for. */
  readonly planned: readonly string[];
  /** Where its SMTP service listens (as `services.smtp`). */
  readonly address: string;
  /** 0 while the host has never been up (the built-in sandbox picks its port when it first comes up). */
  readonly port: number;
  /** Every service it offers, where the caller reaches it; a service it does not run is absent. */
  readonly services: Readonly<Partial<Record<ServiceName, Endpoint>>>;
}

/**
 * `down`: stopped, connections are refused (a dead host). `cut`: its link is down, connections
 * time out and nothing it holds moves (a network failure); the host keeps its state.
 */
export type HostStatus = 'up' | 'down' | 'cut';

export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
}

/**
 * One message a host holds in its queue, as `postqueue -j` lists it (queue_id, sender,
 * arrival_time, message_size, recipients with delay_reason). Postfix keeps the time of the next
 * attempt as the deferred queue file's modification time (qmgr(8)); its attempts are the
 * message's `status=deferred` lines in the log.
 */
export interface QueuedMessage {
  readonly queueId: string;
  /** The envelope sender, "" for the null reverse-path. */
  readonly from: string;
  /** Milliseconds since the epoch. */
  readonly arrival: number;
  /** Bytes. */
  readonly size: number;
  /** Delivery attempts so far (0: never tried). */
  readonly attempts: number;
  /** When the host tries it next, ms since the epoch; undefined while it is being tried. */
  readonly nextAttempt: number | undefined;
  /** The recipients still to go, each with the reason it waits when it was tried. */
  readonly recipients: readonly { readonly address: string; readonly reason?: string }[];
}

/** One DNS question a host asked on its way to a next hop, and what it was told. */
export interface DnsLookup {
  readonly name: string;
  readonly type: 'MX' | 'A' | 'AAAA';
  /** The answers in presentation form ("10 mail1.infra.example", "192.0.2.10"). */
  readonly answers: readonly string[];
  /** Why there are none: NXDOMAIN, NODATA, or the resolver's error for a temporary failure. */
  readonly error?: string;
}

/** A place the host would deliver to: an exchange (MX target or planned host) at one address. */
export interface HopCandidate {
  readonly exchange: string;
  /** The MX preference; 0 for a planned host dialled directly or an implicit MX. */
  readonly preference: number;
  readonly address: string;
}

/**
 * What a host did with mail, one entry per step of its mail log. `reason` is the reply or the
 * failure that decided it, as the log gives it ("451 4.3.0 ...", "connection refused"). `at`:
 * when it happened, ms since the epoch, from an engine that learns of it later (a log line's own
 * time); without it, the moment it is reported is the moment it happened.
 *
 * The built-in relays' own events (mail/events.ts) carry these fields and more, on purpose: the
 * sandbox hands them on as they are, without a copy per message, and the compiler checks there
 * that each still is an Activity.
 */
export type Activity = (
  | {
      readonly type: 'accepted';
      readonly host: string;
      readonly queueId: string;
      readonly from: string;
      readonly recipients: readonly string[];
      readonly size: number;
      /** The message's Message-ID header, angle brackets included (Postfix cleanup: message-id=). */
      readonly messageId?: string | undefined;
      /** The SMTP client it came from (Postfix smtpd: client=); absent for a local submission or a DSN. */
      readonly client?: { readonly helo: string; readonly address: string } | undefined;
    }
  | {
      /**
       * One delivery attempt of a message to a next hop, and why it went there: the DNS answers
       * the host read, the candidates they gave in order, and the connections that did not take
       * the transaction (Postfix: the lab's DNS query log by the host's address, then smtp's
       * "connect to ...: Connection refused" lines and its relay=). Reported before the
       * attempt's `delivered` or `deferred`.
       */
      readonly type: 'routed';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      /** `mx`: the domain's MX records; `host`: a planned host at its planned addresses (no MX lookup). */
      readonly via: { readonly kind: 'mx'; readonly domain: string } | { readonly kind: 'host'; readonly host: string };
      readonly lookups: readonly DnsLookup[];
      readonly candidates: readonly HopCandidate[];
      /** RFC 5321 §5.1: the host's own MX preference when it found itself among the MX (it discards that and above). */
      readonly self?: number | undefined;
      /** Candidates that held no session, in the order tried, with what happened. */
      readonly tried: readonly (HopCandidate & { readonly reply: string })[];
      /** The candidate that took the transaction; absent when none did. */
      readonly relay?: HopCandidate | undefined;
      /** Why no candidate was tried (the resolution failed), as a reply. */
      readonly reply?: string | undefined;
    }
  | {
      readonly type: 'delivered';
      readonly host: string;
      readonly queueId: string;
      /** The mailbox or recipient address delivered. */
      readonly recipient: string;
      /** `maildir`: a mailbox of this host; otherwise the next hop that took it. */
      readonly to: string;
      /** The reply that settled it: the next hop's 250 ("250 2.0.0 Ok: queued as ..."), or the local delivery's. */
      readonly reply: string;
    }
  | {
      readonly type: 'deferred';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      readonly reason: string;
    }
  | {
      readonly type: 'bounced';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      readonly reason: string;
      /** The queue id of the DSN sent to the sender; absent when none was (the sender was <>). */
      readonly dsn?: string | undefined;
    }
  | {
      /** An SMTP client was refused: no queue id, the message never entered the host. */
      readonly type: 'refused';
      readonly host: string;
      readonly stage: 'mail' | 'rcpt' | 'data';
      readonly address?: string;
      readonly reply: string;
    }
  | { readonly type: 'host'; readonly host: string; readonly status: HostStatus }
) & { readonly at?: number };

export type ActivityListener = (activity: Activity) => void;

/**
 * One query the plan's DNS answered, as its query log has it: the name server's own log, so the
 * queries of every client (relays, verify, a person's dig) are in it.
 */
export interface DnsQuery {
  /** When it was answered, ms since the epoch. */
  readonly time: number;
  /** "address:port" of the client ("[address]:port" for IPv6). */
  readonly client: string;
  /** The planned host that asked, when the engine can tell (in the lab, by its planned address). */
  readonly host?: string;
  readonly transport: 'udp' | 'tcp';
  /** The question; null when the query could not be read. */
  readonly name: string | null;
  readonly type: string | null;
  /** The reply's RCODE mnemonic; null when the query got no reply. */
  readonly rcode: string | null;
  /** The answer section in presentation form, when the log gives it. */
  readonly answers?: readonly string[];
}

export type DnsQueryListener = (query: DnsQuery) => void;

export interface SettleOptions {
  /**
   * The quiet period, ms: no host may accept or deliver anything within it, measured back from
   * now (on the log) or forward (no attempt due within it, by an engine that knows its queues).
   */
  readonly quietMs: number;
  /** Resolve after this long anyway, ms (mail that never stops flowing must not hold the caller). */
  readonly within: number;
}

export interface RunningPlan extends AsyncDisposable {
  /** What runs the plan, for reports ("mxplan's relays and responder on loopback"). */
  readonly name: string;
  /** The plan it runs: the last one switched to. */
  readonly plan: Plan;
  /** The authoritative DNS for every zone of the plan (and the outside domains), as the caller reaches it. */
  readonly dns: DnsEndpoint;
  readonly connector: Connector;
  /** IMAP and POP3 at the stores, when the engine runs a mailbox server. */
  readonly mailAccess?: MailAccess;
  /** The CA behind every certificate of the running plan; undefined when it runs without TLS. */
  readonly tls: PlanTls | undefined;
  /** The outside domains the engine was started with, as it publishes them. */
  readonly outside: readonly OutsideExchange[];
  /** Every planned host, up or not: of every plan it has run (a retired host stays until the end). */
  readonly hosts: ReadonlyMap<string, HostEndpoint>;
  status(hostId: string): HostStatus;
  /** Stops a host: connections to it are refused until it comes up. */
  down(hostId: string): Promise<void>;
  /** Cuts a host off: connections to it time out until it comes up. */
  cut(hostId: string): Promise<void>;
  /** Brings a host back at the same endpoint; its queue resumes. */
  up(hostId: string): Promise<void>;
  /**
   * Every host that is up (or only `hostId`) retries its queue now, ignoring backoff. Never
   * rejects for a host that is not up.
   */
  retryNow(hostId?: string): Promise<void>;
  /**
   * Takes a message at a host from one of its local users, as sendmail(1) does: routed like any
   * message the host originates, to any domain. Resolves once the host holds it durably, with
   * its queue id when the engine learns it then. Rejects when the host cannot take it.
   */
  submit(hostId: string, envelope: Envelope, message: Buffer): Promise<string | undefined>;
  /** What a host holds in its queue; undefined while it is not up (its queue cannot be asked). */
  queued(hostId: string): Promise<readonly QueuedMessage[] | undefined>;
  /** The root of a host's Maildirs, laid out as state-layout.ts says (<root>/<domain>/<local>/). */
  maildirRoot(hostId: string): string;
  /**
   * Adds a listener to the activity stream; returns its removal. Every listener sees every
   * activity, in order per host, and a listener that throws does not stop the others. An engine
   * may report an activity late (from a log), never out of order and never not at all.
   */
  onActivity(listener: ActivityListener): () => void;
  /** Adds a listener to the DNS query log (every query the plan's DNS answers, in order); returns its removal. */
  onDnsQuery(listener: DnsQueryListener): () => void;
  /**
   * Resolves once every activity up to now has been reported and mail has stopped moving, or
   * after `within`. Stopped: no host has accepted or delivered mail for `quietMs`; or, for an
   * engine that sees its hosts' queues and sessions, no host is taking or delivering a message
   * and none will start an attempt within `quietMs`. An engine whose activity comes from a log
   * reads the log to its end first: quiet is measured on what happened, not on what was read.
   * Mail the caller hands in after calling is the caller's to wait for (verify awaits every send
   * and submission first).
   */
  settled(options: SettleOptions): Promise<void>;
  /**
   * Moves the running plan to `plan`, mail in flight and all (a migration, `verify --from`):
   * - a host of both plans runs its configuration under the new plan from now on, without a
   *   restart: what it accepts and where it routes change, and every recipient waiting in its
   *   queue is routed again (`postfix reload`); a host that is down or cut comes up under it;
   * - a host only the new plan has starts, up, and joins `hosts` and the connector;
   * - a host only the old plan has keeps running its old configuration, so that its queue can
   *   drain (the migration's drain step), until it is taken down; it stays in `hosts`;
   * - the DNS answers from the new zones, swapped at once: each answer is wholly from one plan.
   * Resolves once all of that holds. A host of both plans whose name, HELO or addresses change
   * restarts on the same endpoint (Postfix needs `postfix stop; postfix start` for those).
   */
  switchPlan(plan: Plan): Promise<void>;
  /** Stops every host and the DNS. Idempotent. */
  close(): Promise<void>;
}

export interface EngineOptions {
  readonly plan: Plan;
  /** Where the engine keeps the hosts' state (state-layout.ts); created when missing. */
  readonly stateDir: string;
  /** Seconds a message may wait in any host's queue, instead of the plan's (to see bounces quickly). */
  readonly queueLifetime?: number;
  /** Domains outside the plan whose mail the caller takes (verify's receiver). */
  readonly outside?: readonly OutsideDomain[];
}

/** Starts a plan with every host up, retrying in seconds (an engine meant for proving a plan, not for production timing). */
export type EngineFactory = (options: EngineOptions) => Promise<RunningPlan>;
