import type { Finding, RuleInfo } from '../diagnostics.js';

export interface ReportInput {
  readonly findings: readonly Finding[];
  /** What is known of each rule and loader check by id (lint/index.ts `catalogue`): references, SARIF's catalogue. */
  readonly rules: ReadonlyMap<string, RuleInfo>;
  /** Paths in output are shown relative to this directory. */
  readonly cwd: string;
}
