/**
 * The rule catalogue: one import per file in rules/, sorted by id. A meta-test keeps this list,
 * the directory and docs/rules.md equal.
 */
import type { Rule } from './rule.js';
import mxBackupPreference from './rules/mx-backup-preference.js';
import mxTargetPlanned from './rules/mx-target-planned.js';

const catalogue: readonly Rule[] = [
  mxBackupPreference,
  mxTargetPlanned,
];

export const rules: ReadonlyMap<string, Rule> = new Map(catalogue.map((rule) => [rule.meta.id, rule]));
