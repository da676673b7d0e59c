import type { Command } from 'commander';
import { ProblemsError } from '../errors.js';
import type { Plan } from '../topology/types.js';
import { useColor, versionOf } from './io.js';

/**
 * Loads and lints the topology for a command that acts on the plan (`zones`, `records`, `dns`,
 * `sandbox`, `verify`).
 * Findings go to stderr (stdout carries the output). Throws a ProblemsError, after saying why,
 * when the topology cannot be loaded, or has error-level findings and `force` is off: a plan with
 * errors would publish broken DNS or start a sandbox that proves nothing.
 */
export interface GateOptions {
  /** Go on despite error-level findings (--force). */
  readonly force: boolean;
  readonly command: Command;
  /** What does not happen when the gate closes: "no zones were written". */
  readonly refusal: string;
}

export async function planForOutput(file: string, options: GateOptions): Promise<Plan> {
  const [{ checkTopology, hasErrors }, { catalogue }, { formatFindings }] = await Promise.all([
    import('../lint/check.js'),
    import('../lint/index.js'),
    import('../report/index.js'),
  ]);
  const { plan, findings: all } = await checkTopology(file);
  // Errors and warnings only: info findings are advice for `mxplan lint`, not about the records.
  const findings = all.filter((f) => f.severity !== 'info');
  if (findings.length > 0) {
    process.stderr.write(
      formatFindings(
        'stylish',
        { findings, rules: catalogue, cwd: process.cwd() },
        { color: useColor(options.command, process.stderr), version: versionOf(options.command) },
      ),
    );
  }
  if (!plan) throw new ProblemsError();
  if (hasErrors(findings) && !options.force) {
    throw new ProblemsError(`the topology has errors, so ${options.refusal} (--force goes on anyway)`);
  }
  return plan;
}
