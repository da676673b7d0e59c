/**
 * What the dashboard has heard from the running plan: the activity stream and the DNS query log
 * (both from the engine contract) and verify's progress, each entry numbered in one sequence.
 * The numbers are the event stream's ids, so a client that reconnects with Last-Event-ID gets
 * exactly what it missed, and the journey of a message is read from here.
 *
 * Bounded: past `limit` entries of a kind, the oldest half goes (a sandbox left running for a
 * week must not grow without end); the indexes are rebuilt then, once per half.
 */
import type { Activity, DnsQuery } from '../sandbox/engine.js';

export interface RecordedActivity {
  readonly seq: number;
  /** When it happened, ms since the epoch: the engine's own `at`, else when it was heard. */
  readonly at: number;
  readonly activity: Activity;
}

export interface RecordedQuery {
  readonly seq: number;
  readonly query: DnsQuery;
}

/** One event of the stream: what the client is told, with its kind as the SSE event name. */
export type StreamEvent =
  | { readonly kind: 'activity'; readonly seq: number; readonly data: RecordedActivity }
  | { readonly kind: 'dns'; readonly seq: number; readonly data: RecordedQuery }
  | { readonly kind: 'verify'; readonly seq: number; readonly data: unknown }
  | { readonly kind: 'engine'; readonly seq: number; readonly data: unknown };

export type Subscriber = (event: StreamEvent) => void;

const ACTIVITY_LIMIT = 50_000;
const DNS_LIMIT = 5_000;

/** "host queueId": one message at one host. */
export function messageKey(host: string, queueId: string): string {
  return `${host} ${queueId}`;
}

export class Recorder {
  private seq = 0;
  private activities: RecordedActivity[] = [];
  private queries: RecordedQuery[] = [];
  private readonly byKey = new Map<string, RecordedActivity[]>();
  private readonly byMessageId = new Map<string, Set<string>>();
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly limits = { activity: ACTIVITY_LIMIT, dns: DNS_LIMIT }) {}

  recordActivity(activity: Activity): void {
    const entry = { seq: ++this.seq, at: activity.at ?? Date.now(), activity };
    this.activities.push(entry);
    this.index(entry);
    if (this.activities.length > this.limits.activity) {
      this.activities = this.activities.slice(this.activities.length >> 1);
      this.byKey.clear();
      this.byMessageId.clear();
      for (const kept of this.activities) this.index(kept);
    }
    this.publish({ kind: 'activity', seq: entry.seq, data: entry });
  }

  recordQuery(query: DnsQuery): void {
    const entry = { seq: ++this.seq, query };
    this.queries.push(entry);
    if (this.queries.length > this.limits.dns) this.queries = this.queries.slice(this.queries.length >> 1);
    this.publish({ kind: 'dns', seq: entry.seq, data: entry });
  }

  /** Something else the page shows live (verify's progress, the engine closing): told, not kept. */
  announce(kind: 'verify' | 'engine', data: unknown): void {
    this.publish({ kind, seq: ++this.seq, data });
  }

  /** Activities after `since`, oldest first, at most `limit` (the newest of them). */
  activitiesSince(since = 0, limit = 1000): RecordedActivity[] {
    return after(this.activities, since, limit);
  }

  queriesSince(since = 0, limit = 1000): RecordedQuery[] {
    return after(this.queries, since, limit);
  }

  /** Everything recorded of one message at one host, in order. */
  ofMessage(host: string, queueId: string): readonly RecordedActivity[] {
    return this.byKey.get(messageKey(host, queueId)) ?? [];
  }

  /** The "host queueId" keys of every copy of a message seen under its Message-ID. */
  keysOfMessageId(messageId: string): readonly string[] {
    return [...(this.byMessageId.get(messageId) ?? [])];
  }

  /**
   * Status changes of these hosts between two times, and the last one of each before `from`
   * (the host was down already when the message came): the context of a journey.
   */
  hostChanges(hosts: ReadonlySet<string>, from: number, to: number): RecordedActivity[] {
    const before = new Map<string, RecordedActivity>();
    const during: RecordedActivity[] = [];
    for (const entry of this.activities) {
      const a = entry.activity;
      if (a.type !== 'host' || !hosts.has(a.host) || entry.at > to) continue;
      if (entry.at < from) before.set(a.host, entry);
      else during.push(entry);
    }
    const earlier = [...before.values()].filter((e) => e.activity.type === 'host' && e.activity.status !== 'up');
    return [...earlier, ...during].sort((a, b) => a.seq - b.seq);
  }

  /** The stream, from `since` on: what was recorded after it first (a reconnect), then live. */
  subscribe(subscriber: Subscriber, since?: number): () => void {
    if (since !== undefined) {
      const missed: StreamEvent[] = [
        ...this.activitiesSince(since, Infinity).map((data) => ({ kind: 'activity' as const, seq: data.seq, data })),
        ...this.queriesSince(since, Infinity).map((data) => ({ kind: 'dns' as const, seq: data.seq, data })),
      ].sort((a, b) => a.seq - b.seq);
      for (const event of missed) subscriber(event);
    }
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  private index(entry: RecordedActivity): void {
    const a = entry.activity;
    if (!('queueId' in a)) return;
    const key = messageKey(a.host, a.queueId);
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(entry);
    if (a.type === 'accepted' && a.messageId) {
      let keys = this.byMessageId.get(a.messageId);
      if (!keys) this.byMessageId.set(a.messageId, (keys = new Set()));
      keys.add(key);
    }
  }

  private publish(event: StreamEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch {
        // one broken client must not keep the others from hearing
      }
    }
  }
}

function after<T extends { seq: number }>(items: readonly T[], since: number, limit: number): T[] {
  let lo = 0;
  let hi = items.length;
  // Sorted by seq: binary search for the first entry after `since`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.seq <= since) lo = mid + 1;
    else hi = mid;
  }
  const found = items.slice(lo);
  return found.length > limit ? found.slice(found.length - limit) : found;
}
