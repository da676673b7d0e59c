/**
 * Verify's test messages: who sends them, whom they go to, what they carry, and waiting until
 * they arrive. Every scenario builds its probes from these; none borrows from another.
 */
import { randomBytes } from 'node:crypto';
import type { Domain, Host, Plan, User } from '../topology/types.js';
import type { Mailbox } from './expect.js';
import { PROBE_HEADER, type MailboxIndex } from './mailboxes.js';

/** The outside sender's address: a domain the plan does not serve. */
export const OUTSIDE_SENDER = 'verify@outside.example';

/** Random per run (tokens of two runs never meet in one mailbox), then a counter: randomBytes per message cost 20 us. */
const PROBE_PREFIX = randomBytes(6).toString('base64url');
let probes = 0;

/** A unique token for one test message. */
export function newProbe(): string {
  return `${PROBE_PREFIX}${(++probes).toString(36)}`;
}

/** The Message-ID of the probe with this token: how a report names the message it sent. */
export function probeMessageId(token: string): string {
  return `<${token}@verify.mxplan.invalid>`;
}

/** A small RFC 5322 message carrying the probe token. */
export function probeMessage(token: string, from: string, to: string, subject: string): string {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Message-ID: ${probeMessageId(token)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `${PROBE_HEADER}: ${token}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `mxplan verify probe ${token} to ${to}.`,
    '',
  ].join('\r\n');
}

/** postmaster@ where planned (RFC 5321 §4.5.1), else the domain's first user. */
export function recipientIn(domain: Domain): string | undefined {
  if (domain.users.has('postmaster') || domain.aliases.has('postmaster')) return `postmaster@${domain.name}`;
  let first: string | undefined;
  for (const local of domain.users.keys()) if (first === undefined || local < first) first = local;
  return first && `${first}@${domain.name}`;
}

/** The first user (in address order) homed on `store`: the author of its outgoing probes. */
export function firstUserOn(plan: Plan, store: Host): User | undefined {
  let authors = authorsByPlan.get(plan);
  if (!authors) {
    // One walk over every user for all stores: scenarios ask per store and per outage.
    authors = new Map();
    for (const domain of plan.domains.values()) {
      if (domain.nullMx) continue;
      for (const user of domain.users.values()) {
        const first = authors.get(user.homeId);
        if (!first || user.address < first.address) authors.set(user.homeId, user);
      }
    }
    authorsByPlan.set(plan, authors);
  }
  return authors.get(store.id);
}

const authorsByPlan = new WeakMap<Plan, Map<string, User>>();

/** A message that should arrive: its token and the mailboxes it should reach (or a DSN about it). */
export interface ExpectedArrival {
  readonly token: string;
  readonly mailboxes: readonly Mailbox[];
  /** Wait for a delivery status notification about the message instead of the message. */
  readonly dsn?: boolean;
}

/** Whether every mailbox of `arrival` holds (at least) one copy. */
export function hasArrived(index: MailboxIndex, arrival: ExpectedArrival): boolean {
  const copies = index.copiesOf(arrival.token);
  const dsn = arrival.dsn === true;
  return arrival.mailboxes.every((m) =>
    copies.some((c) => c.dsn === dsn && c.address === m.address && c.hostId === m.hostId),
  );
}

/**
 * Reads the mailboxes the messages should reach until each holds its message, or patience runs
 * out; true when all arrived. Only those mailboxes are read: call `mailboxes.scan()` once before
 * judging, so that copies that went astray are seen too (a full scan reads every mailbox).
 *
 * It reads again as soon as the activity stream reports a delivery (MailboxIndex.touch), at most
 * every ROUND_MS, and otherwise after a pause that grows to 200 ms: a stream that reports late (an
 * engine reading a log) or not at all delays nothing but the next timed read.
 */
export async function waitForMail(
  mailboxes: MailboxIndex,
  expected: readonly ExpectedArrival[],
  patience: number,
  poke?: () => void,
): Promise<boolean> {
  const started = Date.now();
  const deadline = started + patience;
  let pending = [...expected];
  let lastFull = started;
  let lastPoke = started;
  let pokes = 0;
  for (let round = 0; pending.length > 0 && Date.now() <= deadline; round++) {
    // Read the mailboxes the relays reported deliveries to; now and then, all pending ones (a
    // hint that never came must not make verify miss mail that did).
    const everything = Date.now() - lastFull >= FULL_READ_MS;
    if (everything) lastFull = Date.now();
    const boxes = new Map(
      pending.flatMap((p) =>
        p.mailboxes
          .filter((m) => everything || mailboxes.wasTouched(m.hostId, m.address))
          .map((m) => [`${m.hostId} ${m.address}`, m] as const),
      ),
    );
    const touches = mailboxes.touches;
    await mailboxes.scanMailboxes(boxes.values());
    pending = pending.filter((p) => !hasArrived(mailboxes, p));
    if (pending.length === 0) break;
    // Nudge the queues past their backoff now and then, less often as the wait goes on.
    if (poke && Date.now() - lastPoke >= (pokes === 0 ? FIRST_POKE_MS : POKE_MS * Math.min(pokes, 5))) {
      lastPoke = Date.now();
      pokes++;
      poke();
    }
    await new Promise((r) => setTimeout(r, ROUND_MS));
    if (mailboxes.touches === touches) await mailboxes.nextTouch(Math.min(round * 10, 190));
  }
  return pending.length === 0;
}

/** The least time between two reads, ms: a read looks at every pending message. */
const ROUND_MS = 10;
/** How often every pending mailbox is read, hint or not, ms. */
const FULL_READ_MS = 600;
/**
 * How soon the queues are first nudged while mail is awaited, ms: soon, for a host that came
 * back finds its senders' last attempt (at it while it was away) ending after the caller's
 * retryNow, and that attempt's backoff would hold the mail.
 */
const FIRST_POKE_MS = 50;
/** Then every 200, 400, ... up to 1000 ms. */
const POKE_MS = 200;

/** Users first, then aliases that no user shadows, each in a stable order. */
export function addressesOf(domain: Domain): string[] {
  const users = [...domain.users.values()].map((u) => u.address).sort();
  const aliases = [...domain.aliases.values()]
    .filter((a) => !domain.users.has(a.local))
    .map((a) => a.address)
    .sort();
  return [...users, ...aliases];
}
