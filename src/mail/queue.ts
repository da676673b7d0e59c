/**
 * The delivery queue: what happens between the 250 and the last recipient leaving.
 *
 * - Targets are grouped by destination (src/routing/destination.ts: local, a planned host, a
 *   domain's MX), one lane each. A destination that holds no session backs off as a whole,
 *   doubling from the profile's first retry to its maximum (RFC 5321 §4.5.4.1 "a list of hosts
 *   it cannot reach"; Postfix qmgr(8)); a success resets it. A recipient deferred by a server
 *   that did answer (4xx) backs off with its message.
 * - After the queue lifetime the remaining recipients fail and the sender gets one DSN
 *   (RFC 5321 §6.1) once the message has no recipient left in the queue; never for a message
 *   whose reverse-path is null (§4.5.5).
 * - Time comes only from the injected clock, so tests drive backoff and expiry with a fake one.
 * - After a policy reload every waiting recipient is routed again (reroute), as Postfix's qmgr
 *   resolves each anew when it re-enters the active queue after `postfix reload`.
 */
import type { Clock, Timer } from './clock.js';
import type { FailedRecipient } from './dsn.js';
import type { MailLog } from './events.js';
import { destinationKey, type Destination } from '../routing/destination.js';
import type { Expansion, Target } from '../routing/expand.js';
import { backoffDelay, type Profile } from './profiles.js';
import { failureDetail, formatReply, localFailure, refusalReply, REPLIES, type SmtpReply } from './replies.js';
import type { DoneOutcome, Spool, StoredEnvelope } from './spool.js';
import type { TransmitResult } from './transmit.js';

/** One message on its way to one destination: what every delivery stage is handed. */
export interface Delivery {
  readonly envelope: StoredEnvelope;
  readonly targets: readonly Target[];
  readonly body: Buffer;
}

export interface QueueDeps {
  readonly host: string;
  readonly spool: Spool;
  readonly clock: Clock;
  readonly profile: Profile;
  readonly log: MailLog;
  /** The message's delivery targets (src/routing/expand.ts). */
  expand(envelope: StoredEnvelope): Expansion;
  deliver(destination: Destination, delivery: Delivery): Promise<TransmitResult>;
  /** Queues a DSN to the sender of `envelope` (durably); returns its queue id. */
  bounce(envelope: StoredEnvelope, body: Buffer, failures: readonly FailedRecipient[]): Promise<string | undefined>;
  /**
   * Parallel deliveries per destination; default 20, Postfix's default_destination_concurrency_limit.
   * Each delivery waits for the next hop's fsyncs, so concurrency is what keeps the disk busy.
   */
  readonly concurrency?: number;
}

/** One queued message as `postqueue -j` would list it: the recipients still to go, and why each waits. */
export interface QueueListing {
  readonly queueId: string;
  readonly from: string;
  readonly arrival: number;
  /** Bytes, as queued (our Received header included). */
  readonly size: number;
  /** Delivery attempts so far, whatever their outcome. */
  readonly attempts: number;
  /** When the next attempt may start, ms; undefined while every recipient left is being tried. */
  readonly nextAttempt: number | undefined;
  readonly recipients: readonly { readonly address: string; readonly reason?: string }[];
}

interface PendingTarget {
  readonly target: Target;
  /** Its destination's key. */
  readonly lane: string;
  inFlight: boolean;
  lastReply: SmtpReply | undefined;
  /** The routing it was made under (Queue.routing): an older one is routed again when it waits. */
  readonly routing: number;
}

interface Entry {
  readonly envelope: StoredEnvelope;
  /** Kept in memory while it is small enough; read back from the spool otherwise. */
  body: Buffer | undefined;
  readonly pending: Map<string, PendingTarget>;
  readonly failed: FailedRecipient[];
  /** Deferrals by a server that answered: the message's own backoff. */
  attempts: number;
  /** Delivery attempts of any outcome, for listings. */
  tries: number;
  notBefore: number;
  readonly expiresAt: number;
  completing: boolean;
}

/** The queue's state of one destination. */
interface Lane {
  /** The latest object for it: a reload brings the new plan's host (same id, same key). */
  destination: Destination;
  readonly key: string;
  failures: number;
  /** Bumped on every counted failure: attempts that started before it do not count again. */
  epoch: number;
  retryAt: number;
  active: number;
  /** The last deferral reply here: the reason for messages that expired without an attempt of their own. */
  lastReply: SmtpReply | undefined;
  /** Entries with targets here, oldest first. */
  readonly ids: Set<string>;
}

/** Message bodies kept in memory for the queue, in bytes; beyond, they are read from the spool. */
const BODY_CACHE_BYTES = 64 * 1024 * 1024;

export class Queue {
  private readonly entries = new Map<string, Entry>();
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private timer: { at: number; handle: Timer } | undefined;
  /** Retries of DSNs that could not be queued, each with when it runs (clock time); cancelled by stop(). */
  private readonly dsnRetries = new Map<Timer, number>();
  private cachedBytes = 0;
  private stopped = false;
  /** Bumped by reroute(): targets made under an older routing are routed again. */
  private routing = 0;

  constructor(private readonly deps: QueueDeps) {}

  /**
   * Takes a spooled message (new, or replayed after a restart with the targets already done).
   * `expansion`: its targets when the caller has already expanded them (the relay does at DATA).
   */
  add(
    envelope: StoredEnvelope,
    body?: Buffer,
    done: ReadonlyMap<string, DoneOutcome> = new Map(),
    expansion: Expansion = this.deps.expand(envelope),
  ): void {
    const cache = body !== undefined && this.cachedBytes + body.length <= BODY_CACHE_BYTES;
    if (cache) this.cachedBytes += body.length;
    const entry: Entry = {
      envelope,
      body: cache ? body : undefined,
      pending: new Map(),
      failed: expansion.failures
        .filter((f) => !done.has(f.address))
        .map((f) => ({ address: f.address, original: f.original, reply: refusalReply(f.address, f.refusal) })),
      attempts: 0,
      tries: 0,
      notBefore: 0,
      expiresAt: envelope.arrival + this.deps.profile.queueLifetime,
      completing: false,
    };
    this.entries.set(envelope.id, entry);
    for (const target of expansion.targets) {
      if (done.has(target.address)) continue;
      this.addTarget(entry, target, undefined);
    }
    this.maybeComplete(entry);
    this.pump();
  }

  /**
   * Routes every recipient still waiting again, by `deps.expand` as it is now (the relay's
   * policy was reloaded). A recipient in flight is routed again if it comes back deferred; one
   * the new routing refuses fails, with its DSN, as any other failure.
   */
  reroute(): void {
    this.routing++;
    for (const entry of [...this.entries.values()]) this.rerouteEntry(entry);
    this.pump();
  }

  private rerouteEntry(entry: Entry): void {
    const id = entry.envelope.id;
    for (const [address, item] of [...entry.pending]) {
      if (item.inFlight || item.routing === this.routing) continue;
      entry.pending.delete(address);
      if (![...entry.pending.values()].some((p) => p.lane === item.lane)) this.lanes.get(item.lane)?.ids.delete(id);
      const { targets, failures } = this.deps.expand({ ...entry.envelope, recipients: [address], origin: 'internal' });
      for (const target of targets)
        if (!entry.pending.has(target.address))
          this.addTarget(entry, { ...target, original: item.target.original }, item.lastReply);
      for (const f of failures)
        entry.failed.push({
          address: f.address,
          original: item.target.original,
          reply: refusalReply(f.address, f.refusal),
        });
    }
    this.maybeComplete(entry);
  }

  private addTarget(entry: Entry, target: Target, lastReply: SmtpReply | undefined): void {
    const lane = this.lane(target.to);
    lane.destination = target.to;
    entry.pending.set(target.address, { target, lane: lane.key, inFlight: false, lastReply, routing: this.routing });
    lane.ids.add(entry.envelope.id);
  }

  /** Messages still queued. */
  get size(): number {
    return this.entries.size;
  }

  /** What the queue holds now (Postfix `postqueue -j`). */
  list(): QueueListing[] {
    const now = this.deps.clock.now();
    return [...this.entries.values()].map((entry) => {
      const { envelope, pending } = entry;
      // A recipient waits for its message's backoff and its destination's, whichever ends later.
      const waits = [...pending.values()]
        .filter((p) => !p.inFlight)
        .map((p) => Math.max(now, entry.notBefore, this.lanes.get(p.lane)?.retryAt ?? 0));
      return {
        queueId: envelope.id,
        from: envelope.from,
        arrival: envelope.arrival,
        size: entry.body?.length ?? this.deps.spool.messageSize(envelope.id) ?? 0,
        attempts: entry.tries,
        nextAttempt: waits.length > 0 ? Math.min(...waits) : undefined,
        recipients: [...pending.values()].map((p) => ({
          address: p.target.address,
          ...(p.lastReply && { reason: formatReply(p.lastReply) }),
        })),
      };
    });
  }

  /** Forget every backoff and attempt now (Postfix `postqueue -f`). */
  retryNow(): void {
    for (const d of this.lanes.values()) d.retryAt = 0;
    for (const e of this.entries.values()) e.notBefore = 0;
    this.pump();
  }

  /**
   * Whether anything is moving: `busy` while a delivery attempt or a DSN is under way; otherwise
   * `nextIn`, the ms until the queue's own scheduler starts the next one (a backoff ending, a DSN
   * retried), undefined when nothing is scheduled at all (empty, or stopped). Every start goes
   * through pump(), which sets the one timer for the earliest wait, so nothing starts unannounced:
   * this is how an engine tells "settled" from the queue itself instead of waiting out a quiet time.
   */
  motion(): { readonly busy: true } | { readonly busy: false; readonly nextIn: number | undefined } {
    if (this.running.size > 0) return { busy: true };
    if (this.stopped) return { busy: false, nextIn: undefined };
    const now = this.deps.clock.now();
    const times = [...this.dsnRetries.values(), ...(this.timer ? [this.timer.at] : [])];
    return { busy: false, nextIn: times.length > 0 ? Math.max(0, Math.min(...times) - now) : undefined };
  }

  /** Stops scheduling and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.handle.cancel();
    this.timer = undefined;
    for (const t of this.dsnRetries.keys()) t.cancel();
    this.dsnRetries.clear();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private lane(destination: Destination): Lane {
    const key = destinationKey(destination);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { destination, key, failures: 0, epoch: 0, retryAt: 0, active: 0, lastReply: undefined, ids: new Set() };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Starts every delivery that may start now, and sets the timer for the next one that may not. */
  private pump(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const limit = this.deps.concurrency ?? 20;
    let wake = Infinity;
    for (const dest of this.lanes.values()) {
      if (dest.ids.size === 0) continue;
      if (dest.retryAt > now) {
        wake = Math.min(wake, dest.retryAt);
        continue;
      }
      for (const id of dest.ids) {
        if (dest.active >= limit) break;
        const entry = this.entries.get(id)!;
        // Backing off (a 4xx): skip before collecting its targets, the common case in a long queue.
        if (entry.notBefore > now) {
          wake = Math.min(wake, entry.notBefore);
          continue;
        }
        const items = [...entry.pending.values()].filter((p) => p.lane === dest.key && !p.inFlight);
        if (items.length === 0) continue;
        this.track(this.run(entry, dest, items));
      }
    }
    this.schedule(wake);
  }

  private schedule(at: number): void {
    if (!Number.isFinite(at)) {
      // Nothing waits for a time any more (retryNow, or the last backoff ended in a delivery): a
      // timer left over would only wake an empty pump, and would tell motion() of an attempt to come.
      this.timer?.handle.cancel();
      this.timer = undefined;
      return;
    }
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    const handle = this.deps.clock.setTimer(at - this.deps.clock.now(), () => {
      this.timer = undefined;
      this.expireDue();
      this.pump();
    });
    this.timer = { at, handle };
  }

  /** A job's failure is a defect to log, never a reason for the process to die (an unhandled rejection). */
  private track(job: Promise<void>): void {
    this.running.add(job);
    void job
      .catch((error: unknown) => this.deps.log({ type: 'error', host: this.deps.host, message: failureDetail(error) }))
      .finally(() => this.running.delete(job));
  }

  private async run(entry: Entry, dest: Lane, items: PendingTarget[]): Promise<void> {
    dest.active++;
    entry.tries++;
    const epoch = dest.epoch;
    for (const item of items) item.inFlight = true;
    let result: TransmitResult;
    try {
      const body = entry.body ?? (await this.deps.spool.readBody(entry.envelope.id));
      result = await this.deps.deliver(dest.destination, {
        envelope: entry.envelope,
        targets: items.map((i) => i.target),
        body,
      });
    } catch (error) {
      // RFC 5321 §4.2.1 spirit: our own failure is never a reason to bounce; try again later.
      this.deps.log({
        type: 'error',
        host: this.deps.host,
        message: `delivery of ${entry.envelope.id}: ${failureDetail(error)}`,
      });
      const reply = localFailure(error);
      result = {
        outcomes: new Map(items.map((i) => [i.target.address, { status: 'deferred', reply }])),
        unreachable: true,
      };
    }
    dest.active--;
    for (const item of items) item.inFlight = false;
    this.apply(entry, dest, epoch, items, result);
    this.pump();
  }

  private apply(
    entry: Entry,
    dest: Lane,
    epoch: number,
    items: readonly PendingTarget[],
    result: TransmitResult,
  ): void {
    const now = this.deps.clock.now();
    const { host, log, profile } = this.deps;
    const id = entry.envelope.id;
    const delivered: string[] = [];
    const deferred: PendingTarget[] = [];
    for (const item of items) {
      const address = item.target.address;
      const outcome = result.outcomes.get(address) ?? {
        status: 'deferred',
        reply: REPLIES.localError('no outcome reported'),
      };
      if (outcome.status === 'delivered') {
        entry.pending.delete(address);
        delivered.push(address);
        log({
          type: 'delivered',
          host,
          queueId: id,
          recipient: address,
          to: outcome.remote ?? 'maildir',
          duplicate: outcome.duplicate === true,
          reply: formatReply(outcome.reply),
        });
      } else if (outcome.status === 'failed') {
        entry.pending.delete(address);
        entry.failed.push({
          address,
          original: item.target.original,
          reply: outcome.reply,
          ...(outcome.remote && { remote: outcome.remote }),
        });
      } else {
        item.lastReply = outcome.reply;
        dest.lastReply = outcome.reply;
        deferred.push(item);
      }
    }
    // Written after the 'delivered' events: a crash in between re-sends, and the next hop's
    // duplicate check absorbs it.
    this.deps.spool.appendDone(id, delivered, 'delivered');

    if (result.unreachable) {
      // Parallel attempts that all found the destination down count as one failure.
      if (epoch === dest.epoch) {
        dest.epoch++;
        dest.failures++;
        dest.retryAt = now + backoffDelay(profile, dest.failures);
      }
    } else {
      dest.failures = 0;
      dest.retryAt = 0;
      if (deferred.length > 0) {
        entry.attempts++;
        entry.notBefore = now + backoffDelay(profile, entry.attempts);
      }
    }
    if (deferred.length > 0 && now < entry.expiresAt) {
      log({
        type: 'deferred',
        host,
        queueId: id,
        recipients: deferred.map((d) => d.target.address),
        reason: formatReply(deferred[0]!.lastReply!),
        retryAt: Math.max(dest.retryAt, entry.notBefore),
      });
    }
    this.expire(entry, now);
    if (!entry.pending.size || ![...entry.pending.values()].some((p) => p.lane === dest.key)) dest.ids.delete(id);
    // Deferred while the policy was reloaded: it waits under the new routing.
    if (deferred.some((d) => d.routing !== this.routing)) this.rerouteEntry(entry);
    else this.maybeComplete(entry);
  }

  /** Every queued message past its lifetime loses its remaining targets (checked on each timer). */
  private expireDue(): void {
    const now = this.deps.clock.now();
    for (const entry of [...this.entries.values()]) {
      if (now < entry.expiresAt) continue;
      this.expire(entry, now);
      this.maybeComplete(entry);
    }
  }

  private expire(entry: Entry, now: number): void {
    if (now < entry.expiresAt) return;
    for (const [address, item] of entry.pending) {
      if (item.inFlight) continue;
      entry.pending.delete(address);
      this.lanes.get(item.lane)?.ids.delete(entry.envelope.id);
      const last = item.lastReply ?? this.lanes.get(item.lane)?.lastReply;
      entry.failed.push({
        address,
        original: item.target.original,
        reply: REPLIES.expired(last ? formatReply(last) : 'never attempted'),
      });
    }
  }

  /** When no target is left: the DSN (if any is due), the D record, and the spool may forget it. */
  private maybeComplete(entry: Entry): void {
    if (entry.pending.size > 0 || entry.completing) return;
    entry.completing = true;
    const id = entry.envelope.id;
    const finish = () => {
      this.entries.delete(id);
      if (entry.body) this.cachedBytes -= entry.body.length;
      this.deps.spool.release(id);
    };
    if (entry.failed.length === 0) return finish();
    this.track(
      (async () => {
        const { host, log } = this.deps;
        const failures = entry.failed;
        const recipients = failures.map((f) => f.address);
        const reason = formatReply(failures[0]!.reply);
        try {
          let dsn: string | undefined;
          // RFC 5321 §4.5.5 / §6.1: never a notification about a notification.
          if (entry.envelope.from !== '') {
            const body = entry.body ?? (await this.deps.spool.readBody(entry.envelope.id));
            dsn = await this.deps.bounce(entry.envelope, body, failures);
          }
          this.deps.spool.appendDone(id, recipients, 'failed');
          log({ type: 'bounced', host, queueId: id, recipients, reason, dsn });
          finish();
        } catch (error) {
          log({
            type: 'error',
            host,
            message: `DSN for ${id} not queued (${error instanceof Error ? error.message : String(error)}); will retry`,
          });
          entry.completing = false;
          if (!this.stopped) {
            const retry = this.deps.clock.setTimer(this.deps.profile.firstRetry, () => {
              this.dsnRetries.delete(retry);
              this.maybeComplete(entry);
            });
            this.dsnRetries.set(retry, this.deps.clock.now() + this.deps.profile.firstRetry);
          }
        }
      })(),
    );
  }
}
