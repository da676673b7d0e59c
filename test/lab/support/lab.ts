/**
 * The lab in tests. It runs as root on Linux with iproute2, Postfix, Dovecot and the three name
 * servers (.ci/run installs them): elsewhere the lab tests skip, except under CI, where a missing
 * piece is an error (tools.ts).
 *
 * Every lab a test starts goes through `labFactory`, which writes the inodes of its namespaces
 * to the ledger (MXPLAN_LAB_LEDGER, set by vitest.config.ts): test/lab/global-teardown.ts,
 * which runs after every test file, holds that nothing of any of them is left.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { labEngine, type Lab, type LabChoice } from '../../../src/lab/lab.js';
import { labUnavailable } from '../../../src/lab/platform.js';
import type { EngineFactory } from '../../../src/sandbox/engine.js';
import type { Plan } from '../../../src/topology/types.js';
import { ROOT } from '../../helpers/cli.js';
import { requireTool } from '../../helpers/tools.js';

export const LAB_TOOLS = [
  'ip',
  'script',
  'postfix',
  'postconf',
  'postqueue',
  'sendmail',
  'dovecot',
  'named',
  'nsd',
  'knotd',
] as const;

/** True when the lab can run here; false (skip) outside CI, an error under CI, when it cannot. */
export function haveLab(): boolean {
  const why = userInfo().uid === 0 ? labUnavailable() : 'the lab tests run as root';
  if (why) {
    if (process.env.CI) throw new Error(`${why}: CI runs the lab tests (.ci/run)`);
    return false;
  }
  return LAB_TOOLS.every((tool) => requireTool(tool));
}

/** Where the namespaces of every lab started in this run are written down. */
export const LEDGER = process.env.MXPLAN_LAB_LEDGER ?? join('/tmp', 'mxplan-lab-ledger');

/** Writes down a lab's namespaces (their names and inodes) before anything can go wrong with them. */
export function recordLab(prefix: string, namespaces: readonly string[]): void {
  mkdirSync(LEDGER, { recursive: true });
  const entries = namespaces.map((ns) => {
    let inode = 0;
    try {
      inode = statSync(join('/run/netns', ns)).ino;
    } catch {
      // removed already
    }
    return { ns, inode };
  });
  writeFileSync(join(LEDGER, prefix), JSON.stringify(entries));
}

/** labEngine, with every lab it starts written down, and written down again after a switch of plans (which adds namespaces). */
export function labFactory(choice: LabChoice): EngineFactory {
  const start = labEngine(choice);
  return async (options) => {
    const lab = (await start(options)) as Lab;
    const record = () => recordLab(lab.layout.names.prefix, lab.namespaces);
    record();
    const switchPlan = lab.switchPlan;
    return Object.assign(lab, {
      switchPlan: (plan: Plan) => switchPlan(plan).finally(record),
    });
  };
}

export interface VerifyReport {
  readonly passed: boolean;
  readonly engine: string;
  readonly scenarios: readonly { name: string; passed: number; failed: number; skipped: number }[];
  readonly cases: readonly { scenario: string; name: string; status: string; note?: string; observed?: string }[];
  /** With --keep: where the run's state stayed. */
  readonly stateDir?: string;
}

/**
 * The end of each host's Postfix log (maillog_file) in a kept state directory: what a failed lab run's message should carry, since its state is gone once the test ends.
 */
export async function mtaLogTails(stateDir: string, lines = 40): Promise<string> {
  const parts: string[] = [];
  for (const host of (await readdir(stateDir, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const log = join(stateDir, host.name, 'log', 'postfix.log');
    const text = await readFile(log, 'utf8').catch(() => undefined);
    if (text !== undefined) parts.push(`--- ${log}`, ...text.trimEnd().split('\n').slice(-lines));
  }
  return parts.join('\n');
}

/**
 * `mxplan verify [--lab --mta M --dns D] <file> --format json ...`, its report, and (for a lab)
 * the assurance that it left no namespace behind; they go to the ledger for the final check.
 */
export async function verifyCli(
  file: string,
  lab: { mta: string; dns: string } | undefined,
  extra: readonly string[] = [],
): Promise<{ code: number | null; report: VerifyReport; stderr: string }> {
  const args = ['verify', file, '--format', 'json', ...extra];
  if (lab) args.push('--lab', '--mta', lab.mta, '--dns', lab.dns);
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mxplan.js'), ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (lab) {
    const left = labNamespacesOf(child.pid!);
    recordLab(`mxlab-${child.pid}`, left);
    if (left.length > 0) throw new Error(`verify --lab left ${left.join(', ')}`);
  }
  let report: VerifyReport;
  try {
    report = JSON.parse(stdout) as VerifyReport;
  } catch {
    throw new Error(`verify ${args.join(' ')} (exit ${code}) wrote no report:\n${stdout}\n${stderr}`);
  }
  return { code, report, stderr };
}

/** The namespaces of the labs a process started (mxlab-<pid>-...). */
export function labNamespacesOf(pid: number): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((ns) => ns.startsWith(`mxlab-${pid}-`));
}
