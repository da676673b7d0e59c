/** Load and lint in one step: what `lint`, `zones` and `verify` all start with. */
import type { Finding } from '../diagnostics.js';
import { loadPlan } from '../topology/load.js';
import type { Plan } from '../topology/types.js';
import { lint, type LintOptions } from './run.js';

export interface CheckResult {
  /** Undefined when the topology could not be loaded (syntax or shape errors). */
  readonly plan: Plan | undefined;
  readonly findings: readonly Finding[];
}

/** `file` may be `-`: the topology is then read from standard input. */
export async function checkTopology(file: string, options: LintOptions = {}): Promise<CheckResult> {
  const { plan, partial, findings } = await loadPlan(file);
  if (plan) return { plan, findings: [...findings, ...lint(plan, options)] };
  if (!partial) return { plan, findings };
  // The parts of the plan that passed the shape check are linted too; findings in the parts that
  // failed would only echo the shape errors.
  const semantic = lint(partial.plan, options).filter((f) => !partial.unchecked.covers(f));
  return { plan, findings: [...findings, ...semantic] };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
