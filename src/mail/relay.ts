/**
 * One planned host as a running SMTP relay on loopback. This module holds its lifecycle and the
 * wiring of its stages, each in a module of its own, over one Delivery (queue.ts):
 *
 *   server.ts          the SMTP listener: admission (admission.ts, the host's session limits)
 *                      and per-request deadlines (deadline.ts), then smtp-server
 *   accept.ts          MAIL, RCPT (the routing policy's verdict), DATA and local submission
 *   submission.ts      a store's submission port (RFC 6409): AUTH PLAIN over STARTTLS, then
 *                      local submission
 *   dkim-sign.ts       DKIM for what this host originates (submissions, DSNs), once, before it is stored
 *   local-delivery.ts  into a Maildir here (maildir.ts)
 *   enqueue.ts         into the durable queue (spool.ts, queue.ts)
 *   transmit.ts        to a planned host or a domain's MX (next-hop.ts, smtp-client.ts)
 *   bounce.ts          a DSN to the sender (dsn.ts)
 *
 * Where each recipient goes is the host's routing policy (src/routing/). The relay answers 250
 * only once a message is on stable storage; a crash at any point loses no acknowledged message,
 * and the delivery key (trace.ts) keeps each mailbox to one copy. Restarting on the same state
 * directory resumes the queue.
 *
 *   await using relay = await startRelay({ plan, hostId, stateDir, resolver, connector, profile: 'fast',
 *                                          listen: { address: '127.0.0.1', port: 0 } });
 */
import type { Destination } from '../routing/destination.js';
import { expandRecipients } from '../routing/expand.js';
import { hostPolicy, type HostPolicy } from '../routing/policy.js';
import type { Host, Plan } from '../topology/types.js';
import { canonicalIP } from '../topology/ip.js';
import { acceptSubmission, inboundHandlers } from './accept.js';
import { bounce } from './bounce.js';
import { systemClock, type Clock } from './clock.js';
import { dkimSigner } from './dkim-sign.js';
import type { Connector } from './connector.js';
import type { MailLog } from './events.js';
import { deliverLocal } from './local-delivery.js';
import { MaildirStore } from './maildir.js';
import { profileFor, type Profile, type ProfileName, type ProfileOverrides } from './profiles.js';
import { Queue, type Delivery, type QueueListing } from './queue.js';
import { queueIds, safeLog, type RelayContext } from './relay-context.js';
import type { MailResolver } from './resolver.js';
import { listenSmtp, type ListeningServer } from './server.js';
import { SmtpClient } from './smtp-client.js';
import { submissionAuth, submissionHandlers } from './submission.js';
import { Spool, type RecoveredMessage } from './spool.js';
import { openHostState, type HostState } from './state.js';
import { exchangeSecurity } from './tls-policy.js';
import { transmit } from './transmit.js';
import type { TlsIdentity } from '../tls/pki.js';

export interface RelayOptions {
  readonly plan: Plan;
  readonly hostId: string;
  /** The sandbox's state directory; this relay uses <stateDir>/<hostId>/. */
  readonly stateDir: string;
  readonly resolver: MailResolver;
  readonly connector: Connector;
  readonly clock?: Clock;
  readonly profile: ProfileName;
  readonly listen: { readonly address: string; readonly port: number };
  readonly log?: MailLog;
  /** Overrides of the profile (queue lifetime in seconds, timeouts in ms). */
  readonly overrides?: ProfileOverrides;
  /** Bytes; the host policy's messageSizeLimit by default. */
  readonly maxMessageSize?: number;
  /** Per transaction, at least 100 (RFC 5321 §4.5.3.1.8); the host policy's recipientLimit by default. */
  readonly maxRecipients?: number;
  /** [0, 1), for the shuffle of equal MX preferences. */
  readonly random?: () => number;
  /**
   * The host's certificate and the one CA its client trusts (src/tls/pki.ts). With it (and the
   * profile's `tls` on) the relay offers STARTTLS and uses it towards the next hop; without it,
   * plain SMTP only.
   */
  readonly tls?: { readonly identity: TlsIdentity; readonly ca: string };
  /**
   * A submission port (RFC 6409) for the users homed here, with their passwords (canonical
   * address → password). Needs `tls` (AUTH PLAIN only over STARTTLS): ignored without it.
   */
  readonly submission?: {
    readonly listen: { readonly address: string; readonly port: number };
    readonly passwords: ReadonlyMap<string, string>;
  };
  /**
   * The fqdns of hosts from plans before this one (a migration's old hosts, which may still hold
   * mail): their Received headers keep counting for the delivery key (trace.ts).
   */
  readonly earlierHosts?: Iterable<string>;
  /** The local address the relay's outbound connections come from (ClientOptions.localAddress). */
  readonly sourceAddress?: string;
}

export interface Relay extends AsyncDisposable {
  readonly hostId: string;
  readonly fqdn: string;
  readonly address: string;
  readonly port: number;
  /** Where the submission port listens; undefined when it has none. */
  readonly submission: { readonly address: string; readonly port: number } | undefined;
  /** <stateDir>/<hostId>. */
  readonly dir: string;
  /** Messages in the queue. */
  queued(): number;
  /** What the queue holds, message by message (Postfix `postqueue -j`). */
  queueListing(): QueueListing[];
  /** The spool: segments on disk, live messages, fdatasyncs so far (group commit shares them). */
  spoolStats(): { segments: number; live: number; commits: number };
  /**
   * Takes a message from one of this host's own users, as Postfix's sendmail(1) does: queued
   * (on stable storage when this resolves) and routed like any message this host originates,
   * so it may go to any domain. Returns the queue id.
   */
  submit(envelope: { readonly from: string; readonly to: readonly string[] }, message: Buffer): Promise<string>;
  /** Attempt every queued delivery now, ignoring backoff. */
  retryNow(): void;
  /**
   * Whether mail is moving here: `busy` while a message is being taken or a delivery attempt (or
   * a DSN) is under way; otherwise `nextIn`, the ms until the queue starts its next attempt,
   * undefined when none is scheduled (Queue.motion).
   */
  motion(): ReturnType<Queue['motion']>;
  /**
   * Routes by the host's policy under `plan` from now on, as `postfix reload` does: the next
   * recipient is checked and routed by it, and every recipient waiting in the queue is routed
   * again (Postfix's qmgr resolves each anew as it re-enters the active queue). Mail accepted
   * before stays accepted. The host's name, HELO and addresses are not reloaded (Postfix too
   * needs a restart for inet_interfaces): a plan that changes them is refused here.
   */
  reload(plan: Plan): void;
  /**
   * Stops accepting, lets deliveries in flight finish, closes the spool. Idempotent. Inbound
   * sessions get a short grace period, or are cut at once when `abrupt` (a host going down).
   */
  stop(options?: { abrupt?: boolean }): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const policy = hostPolicy(options.plan, options.hostId);
  const { host } = policy;
  const clock = options.clock ?? systemClock;
  const profile = profileFor(options.profile, policy, options.overrides);
  const log = safeLog(options.log);
  const tls = profile.tls ? options.tls : undefined;
  const state = await openHostState(options.stateDir, host.id);
  const client = outboundClient(host, profile, tls?.ca, options.sourceAddress);
  let spool: Spool | undefined;
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    const opened = await Spool.open(state.queueDir);
    spool = opened.spool;
    const relay = wire({ policy, clock, log, profile, spool, client, state, options, tls: tls !== undefined });
    const { server, submission } = (listening = await listen(relay, options, profile, tls));
    resume(relay, opened.recovered);
    log({ type: 'listening', host: host.id, address: server.address, port: server.port });
    return running(relay, server, submission, client, state);
  } catch (error) {
    await listening?.submission?.close().catch(() => {});
    await listening?.server.close().catch(() => {});
    client.close();
    await spool?.close().catch(() => {});
    await state.release();
    throw error;
  }
}

/** The client of every outbound session: the host's HELO, the profile's timeouts, the CA it trusts. */
function outboundClient(host: Host, profile: Profile, ca: string | undefined, localAddress: string | undefined) {
  return new SmtpClient({
    ...(ca !== undefined && { ca }),
    helo: host.helo,
    connectTimeout: profile.connectTimeout,
    greetingTimeout: profile.greetingTimeout,
    socketTimeout: profile.clientSocketTimeout,
    reuseFor: profile.connectionReuse,
    ...(localAddress && { localAddress }),
  });
}

/** The SMTP listener, and a store's submission port (only with TLS: AUTH PLAIN needs STARTTLS); neither left open on failure. */
async function listen(
  relay: RelayContext,
  options: RelayOptions,
  profile: Profile,
  tls: RelayOptions['tls'],
): Promise<{ server: ListeningServer; submission: ListeningServer | undefined }> {
  const { policy, log } = relay;
  const settings = {
    name: policy.host.fqdn,
    maxMessageSize: options.maxMessageSize ?? policy.messageSizeLimit,
    maxRecipients: Math.max(100, options.maxRecipients ?? policy.recipientLimit),
    limits: policy.smtpLimits,
    deadlines: { commandDeadline: profile.commandDeadline, minDataRate: profile.minDataRate },
    onError: (error: Error) => log({ type: 'error', host: policy.host.id, message: `smtp server: ${error.message}` }),
  };
  const server = await listenSmtp(
    { ...settings, ...(tls && { tls: tls.identity }), handlers: inboundHandlers(relay) },
    options.listen,
  );
  if (!tls || !options.submission) return { server, submission: undefined };
  try {
    const submission = await listenSmtp(
      {
        ...settings,
        tls: tls.identity,
        auth: submissionAuth(options.plan, policy.host.id, options.submission.passwords),
        handlers: submissionHandlers(relay),
      },
      options.submission.listen,
    );
    return { server, submission };
  } catch (error) {
    await server.close().catch(() => {});
    throw error;
  }
}

/** The stages, wired to each other over one context: the queue hands each delivery to its destination's stage. */
function wire(parts: {
  policy: HostPolicy;
  clock: Clock;
  log: MailLog;
  profile: Profile;
  spool: Spool;
  client: SmtpClient;
  state: HostState;
  options: RelayOptions;
  tls: boolean;
}): RelayContext {
  const { policy, clock, log, profile, spool, options } = parts;
  const { host } = policy;
  const deliver = async (to: Destination, delivery: Delivery) => {
    if (to.kind === 'local') return deliverLocal(relay, delivery);
    const recipients = delivery.targets.map((t) => t.address);
    const result = await transmit(to, delivery.envelope.from, recipients, delivery.body, relay.outbound);
    // Before the queue logs the outcome: why it went there comes first in the journey.
    if (result.route)
      log({
        type: 'routed',
        host: host.id,
        queueId: delivery.envelope.id,
        recipients,
        via: to.kind === 'mx' ? { kind: 'mx', domain: to.domain } : { kind: 'host', host: to.host.id },
        ...result.route,
      });
    return result;
  };
  const relay: RelayContext = {
    policy,
    traceHosts: new Set([...policy.plannedHosts, ...(options.earlierHosts ?? [])]),
    clock,
    log,
    spool,
    maildir: new MaildirStore(parts.state.maildirRoot, host.fqdn, clock),
    outbound: {
      resolver: options.resolver,
      connector: options.connector,
      client: parts.client,
      maxRecipients: policy.recipientLimit,
      self: { fqdn: host.fqdn, addresses: new Set([...host.ipv4, ...host.ipv6].map(canonicalIP)) },
      random: options.random ?? Math.random,
      ...(parts.tls && { security: (hop, exchange) => exchangeSecurity(relay.policy.plan, hop, exchange) }),
    },
    signer: dkimSigner(policy.plan, host.id, (message) => log({ type: 'error', host: host.id, message })),
    newQueueId: queueIds(clock),
    taking: 0,
    queue: new Queue({
      host: host.id,
      spool,
      clock,
      profile,
      log,
      // A queued message was accepted already, under whatever policy was in force: routing it
      // (again, after a restart or a reload) decides where it goes, never whether it is relaying.
      expand: (envelope) => expandRecipients(relay.policy, envelope.recipients, 'internal'),
      deliver,
      bounce: (envelope, body, failures) => bounce(relay, envelope, body, failures),
    }),
  };
  return relay;
}

/** Messages the spool held at start go back into the queue, without the targets already done. */
function resume(relay: RelayContext, recovered: readonly RecoveredMessage[]): void {
  for (const message of recovered) relay.queue.add(message.envelope, undefined, message.done);
  if (recovered.length > 0) relay.log({ type: 'resumed', host: relay.policy.host.id, messages: relay.queue.size });
}

/** The running relay, as its owner sees it. */
function running(
  relay: RelayContext,
  server: ListeningServer,
  submission: ListeningServer | undefined,
  client: SmtpClient,
  state: HostState,
): Relay {
  let stopping: Promise<void> | undefined;
  const stop = ({ abrupt = false } = {}) =>
    (stopping ??= (async () => {
      await Promise.all([server.close({ abrupt }), submission?.close({ abrupt })]);
      await relay.queue.stop();
      client.close();
      relay.maildir.close();
      await relay.spool.close();
      await state.release();
    })());
  return {
    hostId: relay.policy.host.id,
    fqdn: relay.policy.host.fqdn,
    address: server.address,
    port: server.port,
    submission: submission && { address: submission.address, port: submission.port },
    dir: state.dir,
    queued: () => relay.queue.size,
    queueListing: () => relay.queue.list(),
    spoolStats: () => relay.spool.stats(),
    retryNow: () => relay.queue.retryNow(),
    motion: () => (relay.taking > 0 ? { busy: true } : relay.queue.motion()),
    reload(plan) {
      const next = hostPolicy(plan, relay.policy.host.id);
      if (!sameIdentity(relay.policy.host, next.host))
        throw new Error(`${next.host.id}: a new name, HELO or address needs a restart, not a reload`);
      relay.policy = next;
      for (const fqdn of next.plannedHosts) relay.traceHosts.add(fqdn);
      relay.queue.reroute();
    },
    submit: (envelope, message) => acceptSubmission(relay, envelope, message),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}

/** Whether a relay for `a` serves `b` as it is: the name, HELO and addresses it took at start (reload keeps them). */
export function sameIdentity(a: Host, b: Host): boolean {
  const identity = (h: Host) => [h.fqdn, h.helo, ...h.ipv4, '/', ...h.ipv6].join(' ');
  return identity(a) === identity(b);
}
