/**
 * Verify's progress as the dashboard shows it: each scenario as it starts and ends, each checked
 * case as it is judged. A failed case carries the Message-ID of the message it sent, when it
 * sent one, and the page links it to that message's journey.
 */
import type { CaseResult } from '../verify/context.js';

/** One judged case, as verify reports it. */
export type FeedCase = CaseResult;

export interface FeedScenario {
  readonly name: string;
  readonly title: string;
  state: 'running' | 'done';
  passed: number;
  failed: number;
  skipped: number;
  durationMs?: number;
}

export interface VerifySnapshot {
  readonly scenarios: readonly FeedScenario[];
  /** Failures and skips in full; passes are counted, not listed (a large plan checks thousands). */
  readonly cases: readonly FeedCase[];
  readonly finished: boolean;
}

export class VerifyFeed {
  private readonly scenarios = new Map<string, FeedScenario>();
  private readonly cases: FeedCase[] = [];
  private finished = false;

  constructor(private readonly announce: (update: unknown) => void) {}

  scenarioStarted(name: string, title: string): void {
    const scenario: FeedScenario = { name, title, state: 'running', passed: 0, failed: 0, skipped: 0 };
    this.scenarios.set(name, scenario);
    this.announce({ kind: 'scenario', scenario });
  }

  caseJudged(result: FeedCase): void {
    const scenario = this.scenarios.get(result.scenario);
    if (scenario) scenario[result.status === 'pass' ? 'passed' : result.status === 'fail' ? 'failed' : 'skipped']++;
    if (result.status !== 'pass') this.cases.push(result);
    this.announce({ kind: 'case', case: result, scenario });
  }

  scenarioEnded(name: string, durationMs: number): void {
    const scenario = this.scenarios.get(name);
    if (!scenario) return;
    scenario.state = 'done';
    scenario.durationMs = durationMs;
    this.announce({ kind: 'scenario', scenario });
  }

  done(): void {
    this.finished = true;
    this.announce({ kind: 'finished' });
  }

  snapshot(): VerifySnapshot {
    return { scenarios: [...this.scenarios.values()], cases: this.cases, finished: this.finished };
  }
}
