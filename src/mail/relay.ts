/**
 * One planned host as a running SMTP relay on loopback: the server (server.ts) applies the
 * routing decision (route.ts) at RCPT, takes responsibility for a message only once it is on
 * stable storage, and the queue (queue.ts) delivers it to a Maildir here, to the home host, or to
 * a more preferred MX, with retries, expiry and DSNs.
 *
 *   await using relay = await startRelay({ plan, hostId, stateDir, resolver, connector, profile: 'fast',
 *                                          listen: { address: '127.0.0.1', port: 0 } });
 *
 * Restarting on the same state directory resumes the queue; a crash at any point loses no
 * acknowledged message, and the delivery key (trace.ts) keeps each mailbox to one copy.
 */
import { randomBytes } from 'node:crypto';
import type { Plan } from '../topology/types.js';
import { canonicalAddress, splitAddress } from '../topology/names.js';
import { canonicalIP } from '../topology/ip.js';
import { systemClock, type Clock } from './clock.js';
import type { Connector } from './connector.js';
import { buildDsn, type FailedRecipient } from './dsn.js';
import type { MailEvent, MailLog } from './events.js';
import { expandRecipients, type Expansion } from './expand.js';
import { LineEndingNormaliser } from './inbound.js';
import { MaildirStore } from './maildir.js';
import { profileFor, type ProfileName, type ProfileOverrides } from './profiles.js';
import { Queue, type DeliveryJob, type QueueListing } from './queue.js';
import { REPLIES, SmtpReplyError, formatReply, type SmtpReply } from './replies.js';
import type { MailResolver } from './resolver.js';
import { route } from './route.js';
import { listenSmtp, type ListeningServer, type SessionInfo } from './server.js';
import { SmtpClient } from './smtp-client.js';
import { Spool, type StoredEnvelope } from './spool.js';
import { openHostState } from './state.js';
import { readTrace, receivedHeader } from './trace.js';
import { transmit, type RecipientOutcome, type TransmitResult } from './transmit.js';

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
  /** Bytes; Postfix's message_size_limit by default. */
  readonly maxMessageSize?: number;
  /** Per transaction, at least 100 (RFC 5321 §4.5.3.1.8). */
  readonly maxRecipients?: number;
  /** [0, 1), for the shuffle of equal MX preferences. */
  readonly random?: () => number;
}

export interface Relay extends AsyncDisposable {
  readonly hostId: string;
  readonly fqdn: string;
  readonly address: string;
  readonly port: number;
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
   * Stops accepting, lets deliveries in flight finish, closes the spool. Idempotent. Inbound
   * sessions get a short grace period, or are cut at once when `abrupt` (a host going down).
   */
  stop(options?: { abrupt?: boolean }): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 10_240_000;
export const DEFAULT_MAX_RECIPIENTS = 100;

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { plan, hostId } = options;
  const host = plan.hosts.get(hostId);
  if (!host) throw new Error(`startRelay: host "${hostId}" is not in the plan`);
  const clock = options.clock ?? systemClock;
  const profile = profileFor(options.profile, host, options.overrides);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const maxRecipients = Math.max(100, options.maxRecipients ?? DEFAULT_MAX_RECIPIENTS);
  const listener = options.log ?? (() => {});
  const log = (event: MailEvent) => {
    try {
      listener(event);
    } catch {
      // a failing listener must not break mail handling
    }
  };
  const plannedHosts = new Set([...plan.hosts.values()].map((h) => h.fqdn));
  // Queue ids: time, a per-start random tag (ids stay unique across restarts) and a counter; an Atom (RFC 5321 §4.4 "id").
  const idTag = randomBytes(4).toString('hex').toUpperCase();
  let idCounter = 0;
  const newQueueId = () =>
    `${clock.now().toString(36).toUpperCase()}${idTag}${(++idCounter).toString(36).toUpperCase()}`;

  const state = await openHostState(options.stateDir, hostId);
  let spool: Spool | undefined;
  let server: ListeningServer | undefined;
  const client = new SmtpClient({
    helo: host.helo,
    connectTimeout: profile.connectTimeout,
    greetingTimeout: profile.greetingTimeout,
    socketTimeout: profile.clientSocketTimeout,
    reuseFor: profile.connectionReuse,
  });
  try {
    const opened = await Spool.open(state.queueDir);
    spool = opened.spool;
    const theSpool = spool;
    const maildir = new MaildirStore(state.maildirRoot, host.fqdn, clock);
    const transmitContext = {
      resolver: options.resolver,
      connector: options.connector,
      client,
      maxRecipients: DEFAULT_MAX_RECIPIENTS,
      self: { fqdn: host.fqdn, addresses: new Set([...host.ipv4, ...host.ipv6].map(canonicalIP)) },
      random: options.random ?? Math.random,
    };

    /** The first planned hop's queue id (trace.ts), else this message's own. */
    const deliveryKey = (body: Buffer, id: string) => readTrace(body, plannedHosts).deliveryKey ?? `${host.fqdn} ${id}`;

    /** Every target into its Maildir; one that fails is deferred, the others still go. */
    const deliverLocal = async (
      job: DeliveryJob,
      key = deliveryKey(job.body, job.envelope.id),
    ): Promise<TransmitResult> => {
      const outcomes = new Map<string, RecipientOutcome>();
      for (const target of job.targets) {
        try {
          const result = await maildir.deliver(target.address, job.body, key, job.envelope.from);
          outcomes.set(target.address, {
            status: 'delivered',
            reply: REPLIES.delivered(job.envelope.id),
            duplicate: result.duplicate,
          });
        } catch (error) {
          outcomes.set(target.address, {
            status: 'deferred',
            reply: REPLIES.localError(`maildir: ${(error as Error).message}`),
          });
        }
      }
      return { outcomes, unreachable: false };
    };

    /**
     * Takes a message into the queue: on stable storage before this resolves. `delivered`: targets
     * already done; `expansion`: the targets, when already worked out at DATA.
     */
    const enqueue = async (
      envelope: StoredEnvelope,
      body: Buffer,
      delivered: readonly string[] = [],
      expansion?: Expansion,
    ) => {
      await theSpool.appendMessage(envelope, body);
      theSpool.appendDone(envelope.id, delivered, 'delivered');
      queue.add(envelope, body, new Map(delivered.map((address) => [address, 'delivered'])), expansion);
    };

    const queue: Queue = new Queue({
      host: hostId,
      spool: theSpool,
      clock,
      profile,
      log,
      expand: (envelope) => expandRecipients(plan, hostId, envelope.recipients, envelope.origin),
      deliver: (destination, job) => {
        if (destination === 'local') return deliverLocal(job);
        const [kind, name] = [
          destination.slice(0, destination.indexOf(':')),
          destination.slice(destination.indexOf(':') + 1),
        ];
        const addresses = job.targets.map((t) => t.address);
        if (kind === 'host') {
          const home = plan.hosts.get(name);
          if (!home) throw new Error(`no planned host ${name}`);
          return transmit({ kind: 'host', host: home }, job.envelope.from, addresses, job.body, transmitContext);
        }
        return transmit({ kind: 'mx', domain: name }, job.envelope.from, addresses, job.body, transmitContext);
      },
      bounce: async (original: StoredEnvelope, body: Buffer, failures: readonly FailedRecipient[]) => {
        // One DSN per message, named after it (lowercase: no generated id looks like this). A
        // restart that expires the message again makes the same DSN: the spool still holds it,
        // or the mailboxes' delivery keys (trace.ts) recognise it.
        const id = `${original.id}dsn`;
        if (theSpool.holds(id)) return id;
        const now = clock.now();
        const dsn = buildDsn({
          reportingMta: host.fqdn,
          to: original.from,
          queueId: original.id,
          arrival: original.arrival,
          date: now,
          failures,
          originalHeaders: body.subarray(0, readTrace(body, plannedHosts).headerLength),
          uniq: id,
        });
        const stamped = Buffer.concat([Buffer.from(receivedHeader({ by: host.fqdn, id, date: now })), dsn]);
        await enqueue({ id, from: '', recipients: [original.from], origin: 'internal', arrival: now }, stamped);
        return id;
      },
    });

    server = await listenSmtp(
      {
        name: host.fqdn,
        maxMessageSize,
        maxRecipients,
        socketTimeout: profile.serverSocketTimeout,
        onError: (error) => log({ type: 'error', host: hostId, message: `smtp server: ${error.message}` }),
        handlers: {
          async mailFrom(address) {
            if (address === '') return;
            const parts = splitAddress(address);
            // RFC 7505 §4.1: a sender in a null-MX domain could never receive a bounce.
            if (parts && plan.domains.get(parts.domain)?.nullMx)
              throw new SmtpReplyError(REPLIES.nullMxSender(address));
          },
          async rcptTo(address) {
            const decision = route(plan, hostId, address, 'inbound');
            if (decision.kind === 'reject') throw new SmtpReplyError(decision.reply);
          },
          async data(message, session: SessionInfo): Promise<SmtpReply> {
            const trace = readTrace(message.data, plannedHosts);
            // RFC 5321 §6.3: count the Received headers; past the limit it is a loop.
            if (trace.hops >= plan.hopLimit) throw new SmtpReplyError(REPLIES.tooManyHops(trace.hops, plan.hopLimit));
            const id = newQueueId();
            const now = clock.now();
            const recipients = session.recipients.map((r) => canonicalAddress(r));
            const received = receivedHeader({
              helo: session.helo,
              clientAddress: session.remoteAddress,
              by: host.fqdn,
              id,
              date: now,
              ...(recipients.length === 1 && { recipient: recipients[0] }),
            });
            const body = Buffer.concat([Buffer.from(received, 'latin1'), message.data]);
            const envelope: StoredEnvelope = {
              id,
              from: session.from === '' ? '' : canonicalAddress(session.from),
              recipients,
              origin: 'inbound',
              arrival: now,
              client: { helo: session.helo, address: session.remoteAddress },
            };
            const accepted = {
              type: 'accepted',
              host: hostId,
              queueId: id,
              from: envelope.from,
              recipients,
              size: message.size,
              bareLineEndings: message.bareLineEndings,
            } as const;

            // Mail for mailboxes homed here only: the Maildir write is the stable storage (no queue hop).
            const expansion = expandRecipients(plan, hostId, recipients, 'inbound');
            if (expansion.failures.length === 0 && expansion.targets.every((t) => t.action.kind === 'deliver-local')) {
              // The trace read above, before our own Received: the same key deliveryKey(body) gives.
              const { outcomes } = await deliverLocal(
                { envelope, targets: expansion.targets, body },
                trace.deliveryKey ?? `${host.fqdn} ${id}`,
              );
              const delivered = [...outcomes].filter(([, o]) => o.status === 'delivered');
              const failed = [...outcomes.values()].find((o) => o.status !== 'delivered');
              // Nothing written: the client still holds the message, and its retry is harmless (4xx).
              if (failed && delivered.length === 0) throw new SmtpReplyError(failed.reply);
              // Some mailboxes have it: the others wait in the queue, where a retry cannot reach the
              // mailboxes already written (a client's retry would carry a new queue id, hence a new key).
              if (failed)
                await enqueue(
                  envelope,
                  body,
                  delivered.map(([address]) => address),
                  expansion,
                );
              log({ ...accepted, stored: failed ? 'queue' : 'maildir' });
              for (const [recipient, o] of delivered)
                log({
                  type: 'delivered',
                  host: hostId,
                  queueId: id,
                  recipient,
                  to: 'maildir',
                  duplicate: o.duplicate === true,
                });
              return failed ? REPLIES.queued(id) : REPLIES.delivered(id);
            }
            await enqueue(envelope, body, [], expansion);
            log({ ...accepted, stored: 'queue' });
            return REPLIES.queued(id);
          },
          refused(stage, reply, address) {
            log({
              type: 'refused',
              host: hostId,
              stage,
              ...(address !== undefined && { address }),
              reply: formatReply(reply),
            });
          },
        },
      },
      options.listen,
    );

    for (const message of opened.recovered) queue.add(message.envelope, undefined, message.done);
    if (opened.recovered.length > 0) log({ type: 'resumed', host: hostId, messages: queue.size });
    log({ type: 'listening', host: hostId, address: server.address, port: server.port });

    let stopping: Promise<void> | undefined;
    const listening = server;
    const stop = ({ abrupt = false } = {}) =>
      (stopping ??= (async () => {
        await listening.close({ abrupt });
        await queue.stop();
        client.close();
        await theSpool.close();
        await state.release();
      })());
    return {
      hostId,
      fqdn: host.fqdn,
      address: listening.address,
      port: listening.port,
      dir: state.dir,
      queued: () => queue.size,
      queueListing: () => queue.list(),
      spoolStats: () => theSpool.stats(),
      retryNow: () => queue.retryNow(),
      async submit({ from, to }, message) {
        const id = newQueueId();
        const now = clock.now();
        const recipients = to.map((r) => canonicalAddress(r));
        // Local submission has no SMTP client: the Received header has no FROM clause.
        const received = receivedHeader({
          by: host.fqdn,
          id,
          date: now,
          ...(recipients.length === 1 && { recipient: recipients[0] }),
        });
        // RFC 5322 §2.3: lines end in CRLF; a submitted bare LF or CR is normalised before queueing.
        const normaliser = new LineEndingNormaliser();
        const body = Buffer.concat([normaliser.push(message), normaliser.end()]);
        const envelope: StoredEnvelope = {
          id,
          from: from === '' ? '' : canonicalAddress(from),
          recipients,
          origin: 'internal',
          arrival: now,
        };
        await enqueue(envelope, Buffer.concat([Buffer.from(received, 'latin1'), body]));
        log({
          type: 'accepted',
          host: hostId,
          queueId: id,
          from: envelope.from,
          recipients,
          size: body.length,
          stored: 'queue',
          bareLineEndings: normaliser.fixed,
        });
        return id;
      },
      stop,
      [Symbol.asyncDispose]: () => stop(),
    };
  } catch (error) {
    await server?.close().catch(() => {});
    client.close();
    await spool?.close().catch(() => {});
    await state.release();
    throw error;
  }
}
