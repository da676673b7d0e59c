/**
 * Runs the scenarios against a running plan that the caller's engine factory starts, and
 * collects one result per checked case. The engine keeps its state in a temporary directory,
 * removed afterwards unless `keep` is set.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineFactory, OutsideDomain } from '../sandbox/engine.js';
import type { Plan } from '../topology/types.js';
import type { CaseResult, Scenario, ScenarioName, VerifyContext } from './context.js';
import { openHarness, type Harness } from './harness.js';
import { SCENARIO_NAMES } from './names.js';
import { betweenDomainsScenario } from './scenarios/between-domains.js';
import { bounceScenario } from './scenarios/bounce.js';
import { deliveryScenario } from './scenarios/delivery.js';
import { dnsScenario } from './scenarios/dns.js';
import { failoverScenario } from './scenarios/failover.js';
import { migrationScenario } from './scenarios/migration.js';
import { mtaStsScenario } from './scenarios/mta-sts.js';
import { outboundScenario } from './scenarios/outbound.js';
import { readScenario } from './scenarios/read.js';
import { refusalsScenario } from './scenarios/refusals.js';

const BY_NAME: Readonly<Record<(typeof SCENARIO_NAMES)[number], Scenario>> = {
  dns: dnsScenario,
  'mta-sts': mtaStsScenario,
  delivery: deliveryScenario,
  'between-domains': betweenDomainsScenario,
  failover: failoverScenario,
  refusals: refusalsScenario,
  bounce: bounceScenario,
  outbound: outboundScenario,
  read: readScenario,
};

/** In the order they run (names.ts). */
export const SCENARIOS: readonly Scenario[] = SCENARIO_NAMES.map((name) => BY_NAME[name]);

export interface VerifyOptions {
  readonly plan: Plan;
  /** Starts the running plan (the built-in sandbox: sandbox.ts builtinEngine). */
  readonly engine: EngineFactory;
  /** Run only these; default all. */
  readonly scenarios?: readonly ScenarioName[];
  /**
   * Prove a migration instead: the engine starts on `plan`, and the migration scenario switches
   * it to this plan while mail waits (`verify <new> --from <old>`).
   */
  readonly migrateTo?: Plan;
  /** Keep the state directory (Maildirs, queues) for inspection. */
  readonly keep?: boolean;
  /**
   * How the state directory goes when not kept: removed before returning (default), or handed
   * to a detached process so the verdict need not wait for tens of thousands of unlinks.
   */
  readonly removal?: 'await' | 'detached';
  /** How long to wait for expected mail before calling it lost, ms (default 15 s). */
  readonly patience?: number;
  /** Told the state directory as soon as it exists (the CLI removes it if interrupted). */
  readonly onStateDir?: (dir: string) => void;
  readonly onScenarioStart?: (scenario: Scenario) => void;
  readonly onCase?: (result: CaseResult) => void;
  readonly onStatus?: (scenario: Scenario, text: string) => void;
  readonly onScenarioEnd?: (scenario: Scenario, durationMs: number) => void;
}

export interface ScenarioSummary {
  readonly name: ScenarioName;
  readonly title: string;
  readonly durationMs: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface VerifyResult {
  /** What ran the plan (the engine's name: its MTA and its DNS server). */
  readonly engine: string;
  readonly cases: readonly CaseResult[];
  readonly scenarios: readonly ScenarioSummary[];
  readonly durationMs: number;
  /** Set when the state directory was kept. */
  readonly stateDir: string | undefined;
}

export async function verifyPlan(options: VerifyOptions): Promise<VerifyResult> {
  const { plan } = options;
  const started = performance.now();
  const selected = options.migrateTo
    ? [migrationScenario(options.migrateTo)]
    : SCENARIOS.filter((s) => !options.scenarios || options.scenarios.includes(s.name));
  const stateDir = await mkdtemp(join(tmpdir(), 'mxplan-verify-'));
  options.onStateDir?.(stateDir);
  const cases: CaseResult[] = [];
  const summaries: ScenarioSummary[] = [];
  let isolatedCount = 0;

  /** The latest thing a host said about each recipient it could not deliver to, for reports. */
  const lastWords = new Map<string, string>();
  const patience = options.patience ?? 15_000;
  const open = (dir: string, settings: { queueLifetime?: number; outside?: readonly OutsideDomain[] } = {}) =>
    openHarness(options.engine, { plan, stateDir: dir, patience, lastWords, ...settings });

  let main: Harness | undefined;
  let engine: string | undefined;
  const background: Promise<unknown>[] = [];
  try {
    main = await open(stateDir);
    engine = main.engine.name;
    const harness = main;
    const run = (scenario: Scenario, onCase?: (result: CaseResult) => void, onStatus?: (text: string) => void) => {
      const t0 = performance.now();
      const mine: CaseResult[] = [];
      const context: VerifyContext = {
        plan,
        engine: harness.engine,
        sender: harness.sender,
        mailboxes: harness.mailboxes,
        patience,
        retry: harness.retry,
        settled: harness.settled,
        report: (result) => {
          const full = { scenario: scenario.name, ...result };
          mine.push(full);
          onCase?.(full);
        },
        status: (text) => onStatus?.(text),
        isolated: (settings) => open(join(stateDir, `isolated-${++isolatedCount}`), settings),
        lastWord: (address) => lastWords.get(address),
      };
      return scenario.run(context).then(() => ({ mine, durationMs: performance.now() - t0 }));
    };
    // Scenarios with a running plan of their own (the bounce waits out a queue lifetime) start at
    // once and run beside the others; their results are reported in their turn.
    const early = new Map(selected.filter((s) => s.isolated).map((s) => [s, run(s)] as const));
    for (const promise of early.values()) background.push(promise.catch(() => {}));
    for (const scenario of selected) {
      options.onScenarioStart?.(scenario);
      const started = early.get(scenario);
      const { mine, durationMs } = started
        ? await started
        : await run(scenario, options.onCase, (text) => options.onStatus?.(scenario, text));
      if (started) for (const c of mine) options.onCase?.(c);
      cases.push(...mine);
      summaries.push({ name: scenario.name, title: scenario.title, durationMs, ...count(mine) });
      options.onScenarioEnd?.(scenario, durationMs);
    }
  } finally {
    await Promise.all(background);
    await main?.close();
    if (!options.keep) await removeStateDir(stateDir, options.removal ?? 'await');
  }
  return {
    engine: engine ?? '',
    cases,
    scenarios: summaries,
    durationMs: performance.now() - started,
    stateDir: options.keep ? stateDir : undefined,
  };
}

/** Removes a state directory: now, or by a detached process that outlives this one. */
export async function removeStateDir(dir: string, how: 'await' | 'detached'): Promise<void> {
  if (how === 'await') return rm(dir, { recursive: true, force: true });
  const script = 'require("node:fs").rmSync(process.argv[1], { recursive: true, force: true })';
  spawn(process.execPath, ['-e', script, dir], { detached: true, stdio: 'ignore' }).unref();
}

function count(cases: readonly CaseResult[]): { passed: number; failed: number; skipped: number } {
  return {
    passed: cases.filter((c) => c.status === 'pass').length,
    failed: cases.filter((c) => c.status === 'fail').length,
    skipped: cases.filter((c) => c.status === 'skip').length,
  };
}
