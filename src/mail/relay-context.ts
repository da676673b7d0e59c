/**
 * What every stage of a relay shares: its policy, clock, log, stores, signer and outbound client. The
 * stages (accept.ts, local-delivery.ts, enqueue.ts, transmit.ts, bounce.ts) take this and one
 * Delivery (queue.ts); relay.ts makes it once per start and wires the stages to each other.
 */
import { randomBytes } from 'node:crypto';
import type { HostPolicy } from '../routing/policy.js';
import type { Clock } from './clock.js';
import type { MessageSigner } from './dkim-sign.js';
import type { MailEvent, MailLog } from './events.js';
import type { MaildirStore } from './maildir.js';
import type { Queue } from './queue.js';
import type { Spool } from './spool.js';
import type { TransmitContext } from './transmit.js';

export interface RelayContext {
  /**
   * The host's routing policy. Stages read it here at each use and keep nothing derived from it,
   * so a policy reload while the relay runs is a matter of replacing it here (Relay.reload).
   */
  policy: HostPolicy;
  /**
   * The fqdns whose Received headers count for the delivery key (trace.ts): the hosts of every
   * plan this relay has run under, and of earlier plans its engine ran. Mail queued under one plan
   * and delivered under the next keeps its key, so a resend across the switch is still absorbed.
   */
  readonly traceHosts: Set<string>;
  readonly clock: Clock;
  /** Never throws: a failing listener must not break mail handling. */
  readonly log: MailLog;
  /** The queue's durable store: what is appended and synced here is acknowledged. */
  readonly spool: Spool;
  readonly queue: Queue;
  readonly maildir: MaildirStore;
  readonly outbound: TransmitContext;
  /** DKIM for mail this host originates, with the plan's keys (made from the policy's plan: replaced with it). */
  readonly signer: MessageSigner;
  newQueueId(): string;
  /** Messages being taken now (accept.ts: from the end of DATA, or a submission, to the reply). */
  taking: number;
}

/** The listener, made safe: listeners run synchronously in the relay's path (events.ts). */
export function safeLog(listener: MailLog = () => {}): MailLog {
  return (event: MailEvent) => {
    try {
      listener(event);
    } catch {
      // a failing listener must not break mail handling
    }
  };
}

/**
 * Queue ids: time, a per-start random tag (ids stay unique across restarts) and a counter; an
 * Atom (RFC 5321 §4.4 "id").
 */
export function queueIds(clock: Clock): () => string {
  const tag = randomBytes(4).toString('hex').toUpperCase();
  let counter = 0;
  return () => `${clock.now().toString(36).toUpperCase()}${tag}${(++counter).toString(36).toUpperCase()}`;
}
