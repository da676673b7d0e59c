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
 *   settled   the log read to its end, then quiet
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
 * How the caller reaches a planned address: the loopback endpoint standing in for it (the
 * built-in sandbox), or the planned address itself on port 25 (an engine at the planned
 * addresses). Undefined: the address cannot be reached from where the caller runs, and must
 * not be dialled.
 */
export interface Connector {
  endpointFor(address: string): Endpoint | undefined;
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
 * server; mxplan's relays have none. Passwords are the engine's own, made for the run.
 */
export interface MailAccess {
  /** What serves the mailboxes, for reports ("Dovecot 2.3.19.1"). */
  readonly server: string;
  /**
   * Where a user of the plan logs in at a host over IMAP or POP3, as the engine lets a client
   * reach it (the lab: from the host itself, until TLS lets a password cross the network);
   * undefined for a host that serves no mailboxes.
   */
  endpointFor(hostId: string, protocol: MailProtocol): Endpoint | undefined;
  /** The user's password; undefined for an address that cannot log in anywhere. */
  password(address: string): string | undefined;
}

export interface DnsEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface HostEndpoint {
  readonly hostId: string;
  readonly fqdn: string;
  /** The planned addresses this endpoint stands in for. */
  readonly planned: readonly string[];
  readonly address: string;
  /** 0 while the host has never been up (the built-in sandbox picks its port when it first comes up). */
  readonly port: number;
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

/** One message a host holds in its queue, as `postqueue -j` lists it. */
export interface QueuedMessage {
  readonly queueId: string;
  /** The envelope sender, "" for the null reverse-path. */
  readonly from: string;
  /** Milliseconds since the epoch. */
  readonly arrival: number;
  /** The recipients still to go, each with the reason it waits when it was tried. */
  readonly recipients: readonly { readonly address: string; readonly reason?: string }[];
}

/**
 * What a host did with mail, one entry per step of its mail log. `reason` is the reply or the
 * failure that decided it, as the log gives it ("451 4.3.0 ...", "connection refused").
 *
 * The built-in relays' own events (mail/events.ts) carry these fields and more, on purpose: the
 * sandbox hands them on as they are, without a copy per message, and the compiler checks there
 * that each still is an Activity.
 */
export type Activity =
  | {
      readonly type: 'accepted';
      readonly host: string;
      readonly queueId: string;
      readonly from: string;
      readonly recipients: readonly string[];
      readonly size: number;
    }
  | {
      readonly type: 'delivered';
      readonly host: string;
      readonly queueId: string;
      /** The mailbox or recipient address delivered. */
      readonly recipient: string;
      /** `maildir`: a mailbox of this host; otherwise the next hop that took it. */
      readonly to: string;
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
    }
  | {
      /** An SMTP client was refused: no queue id, the message never entered the host. */
      readonly type: 'refused';
      readonly host: string;
      readonly stage: 'mail' | 'rcpt' | 'data';
      readonly address?: string;
      readonly reply: string;
    }
  | { readonly type: 'host'; readonly host: string; readonly status: HostStatus };

export type ActivityListener = (activity: Activity) => void;

export interface SettleOptions {
  /** How long no host may have accepted or delivered anything, ms. */
  readonly quietMs: number;
  /** Resolve after this long anyway, ms (mail that never stops flowing must not hold the caller). */
  readonly within: number;
}

export interface RunningPlan extends AsyncDisposable {
  /** What runs the plan, for reports ("mxplan's relays and responder on loopback"). */
  readonly name: string;
  readonly plan: Plan;
  /** The authoritative DNS for every zone of the plan, as the caller reaches it. */
  readonly dns: DnsEndpoint;
  readonly connector: Connector;
  /** IMAP and POP3 at the stores, when the engine runs a mailbox server. */
  readonly mailAccess?: MailAccess;
  /** Every planned host, up or not. */
  readonly hosts: ReadonlyMap<string, HostEndpoint>;
  status(hostId: string): HostStatus;
  /** Stops a host: connections to it are refused until it comes up. */
  down(hostId: string): Promise<void>;
  /** Cuts a host off: connections to it time out until it comes up. */
  cut(hostId: string): Promise<void>;
  /** Brings a host back at the same endpoint; its queue resumes. */
  up(hostId: string): Promise<void>;
  /** Every host that is up retries its queue now, ignoring backoff. Never rejects for a host that is not up. */
  retryNow(): Promise<void>;
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
  /**
   * Resolves once every activity up to now has been reported and no host has accepted or
   * delivered mail for `quietMs`, or after `within`. An engine whose activity comes from a log
   * reads the log to its end first: quiet is measured on what happened, not on what was read.
   */
  settled(options: SettleOptions): Promise<void>;
  /** Stops every host and the DNS. Idempotent. */
  close(): Promise<void>;
}

export interface EngineOptions {
  readonly plan: Plan;
  /** Where the engine keeps the hosts' state (state-layout.ts); created when missing. */
  readonly stateDir: string;
  /** Seconds a message may wait in any host's queue, instead of the plan's (to see bounces quickly). */
  readonly queueLifetime?: number;
}

/** Starts a plan with every host up, retrying in seconds (an engine meant for proving a plan, not for production timing). */
export type EngineFactory = (options: EngineOptions) => Promise<RunningPlan>;
