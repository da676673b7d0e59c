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
export async function planForOutput(file: string, options: { force: boolean; command: Command; what: string }): Promise<Plan | undefined> {
  const [{ checkTopology, hasErrors, ruleInfos }, { formatFindings }] = await Promise.all([
    import('../lint/check.js'),
    import('../report/index.js'),
  ]);
  const { plan, findings: all } = await checkTopology(file);
  // Errors and warnings only: info findings are advice for `mxplan lint`, not about the records.
  const findings = all.filter((f) => f.severity !== 'info');
  if (findings.length > 0) {
    const color = useColor(options.command) && process.stderr.isTTY === true;
    process.stderr.write(formatFindings('stylish', { findings, rules: ruleInfos(), cwd: process.cwd() }, { color, version: rootOf(options.command).version() ?? '' }));
  }
  if (!plan) return undefined;
  if (hasErrors(findings) && !options.force) {
    process.stderr.write(`mxplan: the topology has errors, so no ${options.what} were produced (--force produces them anyway)\n`);
    return undefined;
  }
  return plan;
}
