import type { Finding, Severity } from '../diagnostics.js';

/** What a reporter knows of a rule: enough to cite it. Loader findings have no rule entry. */
export interface RuleInfo {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  readonly references: readonly string[];
  readonly fix: string;
  readonly rationale?: string;
}

export interface ReportInput {
  readonly findings: readonly Finding[];
  /** Rule metadata by id, for references and SARIF's rule catalogue. */
  readonly rules: ReadonlyMap<string, RuleInfo>;
  /** Paths in output are shown relative to this directory. */
  readonly cwd: string;
}
