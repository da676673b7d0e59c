/**
 * The journey of one message across the running plan, read from the activity stream alone (so
 * it is the same for any engine): every host that held it, what each did with it, the DNS answers
 * that chose each next hop, and the replies, with times. It answers "why did it go there".
 *
 * The copies of one message at different hosts are joined two ways, both in any MTA's log:
 * - the Message-ID each host saw at acceptance (Postfix cleanup's message-id=);
 * - the next hop's "queued as <id>" in the reply to a delivery (Postfix smtp's status=sent (...)).
 * A bounce joins its DSN, a message of its own, by the DSN's queue id.
 */
import type { Activity, DnsLookup } from '../sandbox/engine.js';
import type { Plan } from '../topology/types.js';
import { messageKey, type RecordedActivity, type Recorder } from './recorder.js';

export interface JourneyStep {
  readonly seq: number;
  readonly at: number;
  readonly type: Activity['type'];
  /** What happened and why, in one or two sentences. */
  readonly text: string;
  readonly activity: Activity;
}

export interface JourneyHop {
  readonly host: string;
  readonly queueId: string;
  /** The hop that handed it here, when known. */
  readonly from?: { readonly host: string; readonly queueId: string };
  /** `dsn`: the delivery status notification a bounce of this message sent. */
  readonly role: 'message' | 'dsn';
  readonly steps: readonly JourneyStep[];
}

export interface Journey {
  readonly messageId: string | undefined;
  readonly hops: readonly JourneyHop[];
  /** Hosts going down, up or cut while the message travelled: often the why of a deferral. */
  readonly hostChanges: readonly JourneyStep[];
}

export type JourneyStart = { readonly host: string; readonly queueId: string } | { readonly messageId: string };

/** The reply of a hop that took the message, naming its queue id (RFC 5321 §4.2: text after the code is free; MTAs say this). */
const QUEUED_AS = /\b(?:queued|delivered) as ([A-Za-z0-9]+)\b/;

export function journeyOf(recorder: Recorder, plan: Plan, start: JourneyStart): Journey | undefined {
  const hostByFqdn = new Map([...plan.hosts.values()].map((h) => [h.fqdn, h.id]));
  interface Found {
    readonly host: string;
    readonly queueId: string;
    readonly role: JourneyHop['role'];
    from?: JourneyHop['from'];
  }
  const found = new Map<string, Found>();
  const todo: string[] = [];
  const add = (host: string, queueId: string, role: JourneyHop['role'] = 'message') => {
    const key = messageKey(host, queueId);
    if (found.has(key) || recorder.ofMessage(host, queueId).length === 0) return;
    found.set(key, { host, queueId, role });
    todo.push(key);
  };
  const messageIds = new Set<string>();
  if ('messageId' in start) {
    messageIds.add(start.messageId);
    for (const key of recorder.keysOfMessageId(start.messageId)) add(...splitKey(key));
  } else add(start.host, start.queueId);

  /** Hops a reply named ("queued as ..."): who handed each one on. */
  const handed: [from: Found, to: string][] = [];
  for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
    const hop = found.get(key)!;
    for (const { activity: a } of recorder.ofMessage(hop.host, hop.queueId)) {
      if (a.type === 'accepted' && a.messageId && hop.role === 'message' && !messageIds.has(a.messageId)) {
        messageIds.add(a.messageId);
        for (const other of recorder.keysOfMessageId(a.messageId)) add(...splitKey(other));
      } else if (a.type === 'delivered' && a.to !== 'maildir') {
        const next = hostByFqdn.get(a.to);
        const id = QUEUED_AS.exec(a.reply)?.[1];
        if (next && id) {
          add(next, id, hop.role);
          handed.push([hop, messageKey(next, id)]);
        }
      } else if (a.type === 'bounced' && a.dsn) add(hop.host, a.dsn, 'dsn');
    }
  }
  for (const [from, to] of handed) {
    const next = found.get(to);
    if (next && !next.from) next.from = { host: from.host, queueId: from.queueId };
  }
  if (found.size === 0) return undefined;

  const hops = [...found.values()].map((hop) => {
    const steps = recorder.ofMessage(hop.host, hop.queueId).map((r) => step(r));
    return { ...hop, steps };
  });
  // In the order the hosts took it: each copy's acceptance (the first thing recorded of it).
  hops.sort((a, b) => (a.steps[0]?.seq ?? 0) - (b.steps[0]?.seq ?? 0));
  const times = hops.flatMap((h) => h.steps.map((s) => s.at));
  const involved = new Set(hops.flatMap((h) => [h.host, ...h.steps.flatMap((s) => targetsOf(s.activity, hostByFqdn))]));
  const hostChanges = recorder.hostChanges(involved, Math.min(...times), Math.max(...times)).map((r) => step(r));
  return { messageId: [...messageIds][0], hops, hostChanges };
}

function splitKey(key: string): [string, string] {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
}

/** The planned hosts an activity names as next hops (for the host changes that matter). */
function targetsOf(a: Activity, hostByFqdn: ReadonlyMap<string, string>): string[] {
  if (a.type === 'routed') {
    const names = [...a.candidates.map((c) => c.exchange)];
    if (a.via.kind === 'host') return [a.via.host];
    return names.map((n) => hostByFqdn.get(n)).filter((h): h is string => h !== undefined);
  }
  return [];
}

function step({ seq, at, activity }: RecordedActivity): JourneyStep {
  return { seq, at, type: activity.type, text: describe(activity), activity };
}

const list = (items: readonly string[]) => items.map((i) => `<${i}>`).join(', ');

function lookupText(l: DnsLookup): string {
  return `${l.type} ${l.name}: ${l.error ?? (l.answers.join(', ') || 'no answer')}`;
}

/** One activity in words: what the host did and, for a routing decision, why. */
export function describe(a: Activity): string {
  switch (a.type) {
    case 'accepted':
      return `accepted from <${a.from}> for ${list(a.recipients)}, ${a.size} bytes, ${
        a.client ? `from ${a.client.helo} [${a.client.address}]` : 'submitted locally'
      }${a.messageId ? `; Message-ID ${a.messageId}` : ''}`;
    case 'routed': {
      const parts: string[] = [];
      if (a.via.kind === 'host')
        parts.push(
          `${list(a.recipients)} live${a.recipients.length === 1 ? 's' : ''} on planned host ${a.via.host}: sent to its planned addresses, no MX lookup (store and forward)`,
        );
      else {
        parts.push(`looked up the MX of ${a.via.domain}`);
        parts.push(...a.lookups.map(lookupText));
        if (a.self !== undefined)
          parts.push(`it is MX ${a.self} itself, so it left out every MX at ${a.self} or above (RFC 5321 §5.1)`);
      }
      if (a.candidates.length > 0)
        parts.push(
          `candidates in order: ${a.candidates.map((c) => `${c.exchange} [${c.address}]${a.via.kind === 'mx' ? ` (MX ${c.preference})` : ''}`).join(', ')}`,
        );
      for (const t of a.tried) parts.push(`${t.exchange} [${t.address}]: ${t.reply}`);
      if (a.relay) parts.push(`${a.relay.exchange} [${a.relay.address}] took the transaction`);
      else if (a.reply) parts.push(`nowhere to go: ${a.reply}`);
      else parts.push('no candidate held a session');
      return parts.join('; ');
    }
    case 'delivered':
      return a.to === 'maildir'
        ? `delivered <${a.recipient}> into its Maildir here (${a.reply})`
        : `handed <${a.recipient}> to ${a.to}: ${a.reply}`;
    case 'deferred': {
      const retryAt = (a as { retryAt?: number }).retryAt;
      return `deferred ${list(a.recipients)}: ${a.reason}${retryAt ? `; next attempt ${new Date(retryAt).toISOString()}` : ''}`;
    }
    case 'bounced':
      return `bounced ${list(a.recipients)}: ${a.reason}; ${a.dsn ? `DSN ${a.dsn} to the sender` : 'no DSN (the sender is <>)'}`;
    case 'refused':
      return `refused at ${a.stage.toUpperCase()}${a.address ? ` <${a.address}>` : ''}: ${a.reply}`;
    case 'host':
      return `${a.host} is ${a.status}`;
  }
}
