/**
 * What every scenario gets: the plan, a running plan (any engine, through the contract), the
 * outside sender, the mailbox index, and a way to report one checked case. Scenarios compute
 * what they expect from the plan (expect.ts), never from the relays' routing code.
 */
import type { OutsideDomain, RunningPlan } from '../sandbox/engine.js';
import type { Plan } from '../topology/types.js';
import type { Harness } from './harness.js';
import type { MailboxIndex } from './mailboxes.js';
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
  /** The Message-ID of the message the case sent, when it sent one (the dashboard links its journey). */
  readonly messageId?: string;
  readonly note?: string;
}

export interface VerifyContext {
  readonly plan: Plan;
  readonly engine: RunningPlan;
  readonly sender: InternetSender;
  readonly mailboxes: MailboxIndex;
  /** How long to wait for mail to arrive before calling it lost, ms. */
  readonly patience: number;
  report(result: Omit<CaseResult, 'scenario'>): void;
  /** Nudges every queue past its backoff (for waitForMail's poke). */
  readonly retry: () => void;
  /**
   * Resolves once mail has stopped moving (RunningPlan.settled). Call it after the expected
   * copies arrived and before judging: a second copy still on its way would otherwise be missed.
   */
  readonly settled: () => Promise<void>;
  /** Where a long step stands ("sent 1200 of 4481"), for the live progress line. */
  status(text: string): void;
  /** What a host last said about a recipient it deferred or bounced (why mail did not arrive). */
  readonly lastWord: (address: string) => string | undefined;
  /** Starts another running plan for a scenario that needs other settings (a short queue lifetime, a receiver outside the plan). */
  isolated(options: { queueLifetime?: number; outside?: readonly OutsideDomain[] }): Promise<Harness>;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  /** Runs on a running plan of its own (isolated), so it may run beside the others. */
  readonly isolated?: boolean;
  run(context: VerifyContext): Promise<void>;
}
