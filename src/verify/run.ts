/**
 * Runs the scenarios against an ephemeral sandbox and collects one result per checked case.
 * The sandbox lives in a temporary state directory, removed afterwards unless `keep` is set.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailEvent } from '../mail/events.js';
import { startSandbox } from '../sandbox/sandbox.js';
import type { Plan } from '../topology/types.js';
import type { CaseResult, Scenario, ScenarioName, VerifyContext } from './context.js';
import { MailboxIndex } from './mailboxes.js';
import { betweenDomainsScenario } from './scenarios/between-domains.js';
import { bounceScenario } from './scenarios/bounce.js';
import { deliveryScenario } from './scenarios/delivery.js';
import { dnsScenario } from './scenarios/dns.js';
import { failoverScenario } from './scenarios/failover.js';
import { refusalsScenario } from './scenarios/refusals.js';
import { InternetSender } from './sender.js';

/** In the order they run: DNS first (everything else stands on it), the bounce last. */
export const SCENARIOS: readonly Scenario[] = [
  dnsScenario,
  deliveryScenario,
  betweenDomainsScenario,
  failoverScenario,
  refusalsScenario,
  bounceScenario,
];

export interface VerifyOptions {
  readonly plan: Plan;
  /** Run only these; default all. */
  readonly scenarios?: readonly ScenarioName[];
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
  readonly cases: readonly CaseResult[];
  readonly scenarios: readonly ScenarioSummary[];
  readonly durationMs: number;
  /** Set when the state directory was kept. */
  readonly stateDir: string | undefined;
}

export async function verifyPlan(options: VerifyOptions): Promise<VerifyResult> {
  const { plan } = options;
  const started = performance.now();
  const selected = SCENARIOS.filter((s) => !options.scenarios || options.scenarios.includes(s.name));
  const stateDir = await mkdtemp(join(tmpdir(), 'mxplan-verify-'));
  options.onStateDir?.(stateDir);
  const cases: CaseResult[] = [];
  const summaries: ScenarioSummary[] = [];
  const hostIds = [...plan.hosts.keys()];
  let isolatedCount = 0;

  /** The latest thing a relay said about each recipient it could not deliver to, for reports. */
  const lastWords = new Map<string, string>();
  const patience = options.patience ?? 15_000;
  const open = async (dir: string, overrides?: { queueLifetime: number }) => {
    const mailboxes = new MailboxIndex(dir, hostIds);
    let lastMail = performance.now();
    const log = (event: MailEvent) => {
      if (event.type === 'accepted' || event.type === 'delivered') lastMail = performance.now();
      if (event.type === 'delivered' && event.to === 'maildir') mailboxes.touch(event.host, event.recipient);
      if (event.type === 'deferred' || event.type === 'bounced') {
        for (const r of event.recipients) lastWords.set(r, `${event.host} ${event.type} it: ${event.reason}`);
      }
    };
    const sandbox = await startSandbox({ plan, stateDir: dir, profile: 'fast', log, ...(overrides && { overrides }) });
    const sender = new InternetSender(sandbox.resolver, sandbox.addressBook);
    const close = async () => {
      sender.close();
      await sandbox.close();
    };
    /** Resolves once no relay has taken or delivered mail for `quietMs` (at most `patience`). */
    const settled = async (quietMs = 300) => {
      const deadline = performance.now() + patience;
      while (performance.now() - lastMail < quietMs && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    };
    return { sandbox, sender, mailboxes, settled, close, [Symbol.asyncDispose]: close };
  };

  let main: Awaited<ReturnType<typeof open>> | undefined;
  const background: Promise<unknown>[] = [];
  try {
    main = await open(stateDir);
    const sandbox = main;
    const run = (scenario: Scenario, onCase?: (result: CaseResult) => void, onStatus?: (text: string) => void) => {
      const t0 = performance.now();
      const mine: CaseResult[] = [];
      const context: VerifyContext = {
        plan,
        sandbox: sandbox.sandbox,
        sender: sandbox.sender,
        mailboxes: sandbox.mailboxes,
        patience,
        settled: () => sandbox.settled(),
        report: (result) => {
          const full = { scenario: scenario.name, ...result };
          mine.push(full);
          onCase?.(full);
        },
        status: (text) => onStatus?.(text),
        isolatedSandbox: (overrides) => open(join(stateDir, `isolated-${++isolatedCount}`), overrides),
        lastWord: (address) => lastWords.get(address),
      };
      return scenario.run(context).then(() => ({ mine, durationMs: performance.now() - t0 }));
    };
    // Scenarios with a sandbox of their own (the bounce waits out a queue lifetime) start at
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
