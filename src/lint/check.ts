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
  const { plan, findings } = await loadPlan(file);
  if (!plan) return { plan, findings };
  return { plan, findings: [...findings, ...lint(plan, options)] };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
