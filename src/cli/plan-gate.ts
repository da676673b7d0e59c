import type { Command } from 'commander';
import type { Plan } from '../topology/types.js';
import { rootOf, useColor } from './program.js';

/**
 * Loads and lints the topology for a command that acts on the plan (`zones`, `records`, `dns`,
 * `sandbox`, `verify`).
 * Findings go to stderr (stdout carries the output). Returns undefined, after saying why, when
 * the topology cannot be loaded, or has error-level findings and `force` is off: a plan with
 * errors would publish broken DNS or start a sandbox that proves nothing.
 */
export interface GateOptions {
  /** Go on despite error-level findings. */
  readonly force: boolean;
  readonly command: Command;
  /** What does not happen when the gate closes: "no zones were written". */
  readonly refusal: string;
  /** The flag that overrides the gate; default --force. */
  readonly overrideFlag?: string;
}

export async function planForOutput(file: string, options: GateOptions): Promise<Plan | undefined> {
  const [{ checkTopology, hasErrors, ruleInfos }, { formatFindings }] = await Promise.all([
    import('../lint/check.js'),
    import('../report/index.js'),
  ]);
  const { plan, findings: all } = await checkTopology(file);
  // Errors and warnings only: info findings are advice for `mxplan lint`, not about the records.
  const findings = all.filter((f) => f.severity !== 'info');
  if (findings.length > 0) {
    const color = useColor(options.command) && process.stderr.isTTY === true;
    process.stderr.write(
      formatFindings(
        'stylish',
        { findings, rules: ruleInfos(), cwd: process.cwd() },
        { color, version: rootOf(options.command).version() ?? '' },
      ),
    );
  }
  if (!plan) return undefined;
  if (hasErrors(findings) && !options.force) {
    process.stderr.write(
      `mxplan: the topology has errors, so ${options.refusal} (${options.overrideFlag ?? '--force'} goes on anyway)\n`,
    );
    return undefined;
  }
  return plan;
}
