/**
 * A Postfix instance's mail log (maillog_file, MAILLOG_README), read as the engine contract's
 * activity stream, one host's lines at a time:
 *
 *   NOQUEUE: reject: RCPT from c[a]: 550 5.1.1 <x>: ...; from=<s> to=<x> ...   refused (smtpd)
 *   QID: from=<s>, size=N, nrcpt=M (queue active)                             accepted (qmgr)
 *   QID: to=<r>, [orig_to=<o>,] relay=R, ..., status=sent (reply)             delivered
 *   QID: to=<r>, ..., status=deferred (why)                                   deferred
 *   QID: to=<r>, ..., status=bounced (why)                                    bounced
 *   QID: from=<s>, status=expired, returned to sender                         bounced (what was still deferred)
 *
 * Postfix logs a message's recipients only as it tries them, so "accepted" waits until each of
 * the `nrcpt` recipients has had its first try (reported as `orig_to` when an alias rewrote it), or
 * until the message leaves the queue or comes back for a retry. Nothing after it on the same
 * host is reported before it: the stream keeps the log's order.
 */
import type { Activity } from '../sandbox/engine.js';

interface Message {
  readonly queueId: string;
  /** As cleanup(8) logged it, angle brackets included. */
  readonly messageId?: string;
  readonly from: string;
  readonly size: number;
  readonly nrcpt: number;
  /** The recipients as the sender gave them (orig_to when an alias rewrote one), in the order tried. */
  readonly recipients: Set<string>;
  /** The recipients tried (after alias expansion, as nrcpt counts them). */
  readonly tried: Set<string>;
  /** Recipients whose last try was a deferral, with its reason. */
  readonly deferred: Map<string, string>;
}

interface Slot {
  activity?: Activity;
  /** An accepted still waiting for its recipients. */
  message?: Message;
}

const LINE = /^\S+\s+\S+\s+\S+\s+\S+\s+(\S+?)\[\d+\]:\s(.*)$/;
const QUEUE_ID = /^([0-9A-Za-z]+):\s(.*)$/;
/** cleanup(8): `QID: message-id=<...>`, before qmgr takes the message. */
const MESSAGE_ID = /^message-id=(<[^>]*>)$/;
const ACTIVE = /^from=<(.*?)>, size=(\d+), nrcpt=(\d+) \(queue active\)$/;
const EXPIRED = /^from=<(.*?)>, status=expired, returned to sender$/;
const STATUS = /^to=<(.*?)>,(?: orig_to=<(.*?)>,)? relay=([^,]*), .*?status=(sent|deferred|bounced) \((.*)\)$/;
const REJECT = /^reject: (\S+) from [^:]*\]: (.*?); from=<(.*?)>(?: to=<(.*?)>)?/;

const STAGES: Readonly<Record<string, 'mail' | 'rcpt' | 'data'>> = {
  MAIL: 'mail',
  RCPT: 'rcpt',
  DATA: 'data',
  'END-OF-MESSAGE': 'data',
};

export class PostfixLog {
  private readonly messages = new Map<string, Message>();
  private readonly slots: Slot[] = [];

  constructor(private readonly hostId: string) {}

  /** Whether an accepted is waiting for its recipients (and everything after it with it). */
  get holding(): boolean {
    return this.slots.length > 0;
  }

  /** Reads one log line; returns the activities now ready, in order. */
  line(text: string): Activity[] {
    const parsed = LINE.exec(text);
    if (!parsed) return [];
    const program = parsed[1]!.slice(parsed[1]!.lastIndexOf('/') + 1);
    const body = parsed[2]!;
    const queued = QUEUE_ID.exec(body);
    const [queueId, rest] = queued ? [queued[1]!, queued[2]!] : ['NOQUEUE', body.replace(/^NOQUEUE: /, '')];
    if (program === 'smtpd' || rest.startsWith('reject: ')) this.refusal(rest);
    else if (queueId !== 'NOQUEUE') this.queueLine(queueId, rest);
    return this.drain();
  }

  /** Reports every waiting accepted with the recipients known so far (the log has ended for now). */
  flush(): Activity[] {
    for (const slot of this.slots) if (slot.message) this.complete(slot.message);
    return this.drain();
  }

  private refusal(rest: string): void {
    const match = REJECT.exec(rest);
    if (!match) return;
    const stage = STAGES[match[1]!];
    if (!stage) return;
    const address = stage === 'rcpt' ? match[4] : stage === 'mail' ? match[3] : undefined;
    this.push({
      type: 'refused',
      host: this.hostId,
      stage,
      ...(address !== undefined && { address }),
      reply: match[2]!,
    });
  }

  /** How many times each message has entered the active queue: its delivery attempts so far. */
  private readonly tries = new Map<string, number>();

  /** A queued message's delivery attempts so far, as the log tells them (qmgr's "queue active" lines). */
  attempts(queueId: string): number {
    return this.tries.get(queueId) ?? 0;
  }

  /** Message-IDs cleanup(8) logged, until qmgr(8) takes the message (it logs them first). */
  private readonly messageIds = new Map<string, string>();

  private queueLine(queueId: string, rest: string): void {
    const messageId = MESSAGE_ID.exec(rest);
    if (messageId) {
      this.messageIds.set(queueId, messageId[1]!);
      return;
    }
    const active = ACTIVE.exec(rest);
    if (active) {
      this.tries.set(queueId, this.attempts(queueId) + 1);
      const known = this.messages.get(queueId);
      if (known) {
        this.complete(known); // a retry: its first tries are over
        return;
      }
      const id = this.messageIds.get(queueId);
      this.messageIds.delete(queueId);
      const message: Message = {
        queueId,
        ...(id !== undefined && { messageId: id }),
        from: active[1]!,
        size: Number(active[2]),
        nrcpt: Number(active[3]),
        recipients: new Set(),
        tried: new Set(),
        deferred: new Map(),
      };
      this.messages.set(queueId, message);
      this.slots.push({ message });
      return;
    }
    const status = STATUS.exec(rest);
    if (status) {
      const [, to, origTo, relay, verdict, text] = status as unknown as [
        string,
        string,
        string | undefined,
        string,
        string,
        string,
      ];
      const message = this.messages.get(queueId);
      message?.recipients.add(origTo ?? to);
      message?.tried.add(to);
      if (verdict === 'deferred') message?.deferred.set(to, text);
      else message?.deferred.delete(to);
      this.push(
        verdict === 'sent'
          ? { type: 'delivered', host: this.hostId, queueId, recipient: to, to: nextHop(relay), reply: sentReply(text) }
          : { type: verdict as 'deferred' | 'bounced', host: this.hostId, queueId, recipients: [to], reason: text },
      );
      if (message && message.tried.size >= message.nrcpt) this.complete(message);
      return;
    }
    const expired = EXPIRED.exec(rest);
    if (expired) {
      const message = this.messages.get(queueId);
      if (message) this.complete(message);
      const waiting = [...(message?.deferred ?? new Map<string, string>())];
      if (waiting.length > 0)
        this.push({
          type: 'bounced',
          host: this.hostId,
          queueId,
          recipients: waiting.map(([r]) => r),
          reason: `expired in the queue: ${waiting[0]![1]}`,
        });
      return;
    }
    if (rest === 'removed') {
      this.messageIds.delete(queueId);
      const message = this.messages.get(queueId);
      if (message) this.complete(message);
      this.messages.delete(queueId);
      this.tries.delete(queueId);
    }
  }

  private push(activity: Activity): void {
    this.slots.push({ activity });
  }

  /** The message's accepted is ready, with the recipients known now. */
  private complete(message: Message): void {
    const slot = this.slots.find((s) => s.message === message);
    if (!slot) return;
    slot.message = undefined;
    slot.activity = {
      type: 'accepted',
      host: this.hostId,
      queueId: message.queueId,
      from: message.from,
      recipients: [...message.recipients],
      size: message.size,
      ...(message.messageId !== undefined && { messageId: message.messageId }),
    };
  }

  private drain(): Activity[] {
    const ready: Activity[] = [];
    while (this.slots.length > 0 && this.slots[0]!.activity) ready.push(this.slots.shift()!.activity!);
    return ready;
  }
}

/**
 * Where a delivery went: `maildir` for a mailbox of this host (Dovecot's LMTP socket, or a
 * local delivery agent), else the next hop's name ("mail2.infra.example[192.0.2.11]:25").
 */
function nextHop(relay: string): string {
  if (/\[private\/[^\]]*\]$/.test(relay) || relay === 'local' || relay === 'virtual') return 'maildir';
  return relay.replace(/\[.*$/, '');
}

/**
 * The reply that settled a delivery: the next hop's or LMTP's own ("250 2.0.0 Ok: queued as
 * ..."). A local delivery agent reports success in words ("delivered to maildir"): given the
 * code it stands for.
 */
function sentReply(text: string): string {
  return /^2\d\d /.test(text) ? text : `250 2.0.0 ${text}`;
}
