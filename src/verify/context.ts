/**
 * What every scenario gets: the plan, a running sandbox, the outside sender, the mailbox index,
 * and a way to report one checked case. Scenarios compute what they expect from the plan
 * (expect.ts), never from the relays' routing code.
 */
import { randomBytes } from 'node:crypto';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Plan } from '../topology/types.js';
import type { Mailbox } from './expect.js';
import { MailboxIndex, PROBE_HEADER, type Copy } from './mailboxes.js';
import type { InternetSender } from './sender.js';

import type { ScenarioName } from './names.js';
export type { ScenarioName } from './names.js';

export interface CaseResult {
  readonly scenario: ScenarioName;
  /** What was checked, in the plan's own words ("alice@acme.example", "acme.example MX"). */
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly expected?: string;
  readonly observed?: string;
  /** The hosts the message passed through, oldest first. */
  readonly trail?: readonly string[];
  readonly note?: string;
}

export interface VerifyContext {
  readonly plan: Plan;
  readonly sandbox: Sandbox;
  readonly sender: InternetSender;
  readonly mailboxes: MailboxIndex;
  /** How long to wait for mail to arrive before calling it lost, ms. */
  readonly patience: number;
  report(result: Omit<CaseResult, 'scenario'>): void;
  /**
   * Resolves once the relays have been quiet for a moment. Call it after the expected copies
   * arrived and before judging: a second copy still on its way would otherwise be missed.
   */
  settled(): Promise<void>;
  /** Where a long step stands ("sent 1200 of 4481"), for the live progress line. */
  status(text: string): void;
  /** What a relay last said about a recipient it deferred or bounced (why mail did not arrive). */
  readonly lastWord: (address: string) => string | undefined;
  /** Starts another sandbox for a scenario that needs other settings (a short queue lifetime). */
  isolatedSandbox(overrides: {
    queueLifetime: number;
  }): Promise<{ sandbox: Sandbox; mailboxes: MailboxIndex; sender: InternetSender } & AsyncDisposable>;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  /** Runs in a sandbox of its own (isolatedSandbox), so it may run beside the others. */
  readonly isolated?: boolean;
  run(context: VerifyContext): Promise<void>;
}

/** Random per run (tokens of two runs never meet in one mailbox), then a counter: randomBytes per message cost 20 us. */
const PROBE_PREFIX = randomBytes(6).toString('base64url');
let probes = 0;

/** A unique token for one test message. */
export function newProbe(): string {
  return `${PROBE_PREFIX}${(++probes).toString(36)}`;
}

/** A small RFC 5322 message carrying the probe token. */
export function probeMessage(token: string, from: string, to: string, subject: string): string {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Message-ID: <${token}@verify.mxplan.invalid>`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `${PROBE_HEADER}: ${token}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `mxplan verify probe ${token} to ${to}.`,
    '',
  ].join('\r\n');
}

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
 * Polls the mailboxes the messages should reach until each holds its message, or patience runs
 * out; true when all arrived. Only those mailboxes are read: call `mailboxes.scan()` once before
 * judging, so that copies that went astray are seen too (a full scan reads every mailbox).
 */
export async function waitForMail(
  mailboxes: MailboxIndex,
  expected: readonly ExpectedArrival[],
  patience: number,
  poke?: () => void,
): Promise<boolean> {
  const deadline = Date.now() + patience;
  let pending = [...expected];
  for (let round = 0; pending.length > 0 && Date.now() <= deadline; round++) {
    // Read the mailboxes the relays reported deliveries to; every tenth round, all pending ones
    // (a hint that never came must not make verify miss mail that did).
    const everything = round % 10 === 9;
    const boxes = new Map(
      pending.flatMap((p) =>
        p.mailboxes
          .filter((m) => everything || mailboxes.wasTouched(m.hostId, m.address))
          .map((m) => [`${m.hostId} ${m.address}`, m] as const),
      ),
    );
    await mailboxes.scanMailboxes(boxes.values());
    pending = pending.filter((p) => !hasArrived(mailboxes, p));
    if (pending.length === 0) break;
    if (poke && round % 5 === 4) poke(); // nudge the queues past their backoff now and then
    await new Promise((r) => setTimeout(r, 20 + Math.min(round * 10, 200)));
  }
  return pending.length === 0;
}

/** "alice@acme.example on mail1, bob@acme.example on mail2" */
export function describeCopies(copies: readonly Pick<Copy, 'address' | 'hostId'>[]): string {
  if (copies.length === 0) return 'nowhere';
  const counts = new Map<string, number>();
  for (const c of copies)
    counts.set(`${c.address} on ${c.hostId}`, (counts.get(`${c.address} on ${c.hostId}`) ?? 0) + 1);
  return [...counts]
    .map(([where, n]) => (n > 1 ? `${where} (${n} copies)` : where))
    .sort()
    .join(', ');
}
