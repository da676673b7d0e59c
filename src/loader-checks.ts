/**
 * The checks mxplan makes outside the rule files: the loader's (syntax, shape, users files),
 * before any rule can run, and lint's check of its own configuration. Their findings carry these
 * ids. They are always on at error level: a topology that fails one is not a plan yet.
 *
 * The rule registry (lint/index.ts) lists them beside the rules, so `mxplan rules`,
 * docs/rules.md and SARIF's rule catalogue know them; a meta-test fails on a finding id that is
 * in neither. A new check is one entry here.
 */
import type { RuleInfo } from './diagnostics.js';

const CHECKS = {
  'lint-config': {
    description: "The topology's lint.rules names only lint rules that exist.",
    references: ['mxplan rules'],
    rationale:
      'A misspelt rule id under lint.rules would silently leave the rule at its default level, so the ' +
      'setting the author meant never applies. The checks of the input are not lint rules: they always run.',
    fix: 'Use an id that `mxplan rules` lists as a lint rule.',
  },
  'topology-schema': {
    description: 'The topology has the documented shape (schemas/topology.schema.json).',
    references: ['JSON Schema 2020-12'],
    rationale:
      'The schema says what the file looks like: which keys exist, which are required, and the type and ' +
      'form of each value; the lint rules judge what the plan means. A value of the wrong shape cannot be ' +
      'read as the plan its author meant, so mxplan reports it instead of guessing.',
    fix: 'Correct the key or value named.',
  },
  'topology-syntax': {
    description: 'The topology is well-formed YAML or JSON, with every key once per mapping.',
    references: ['YAML 1.2'],
    rationale:
      'A file the YAML parser cannot read, or a mapping with a key twice (where the last one would ' +
      'silently win), has no single meaning. Nothing else is checked until it parses.',
    fix: 'Correct the syntax at the position shown.',
  },
  'users-csv': {
    description: 'A users file is readable CSV with the columns local, host and quota.',
    references: ['RFC 4180'],
    rationale:
      'Domains can take their users from a directory export (usersFile). Each row names a local part, the ' +
      'host that stores its mail and optionally a quota; a file that cannot be read, or a row without ' +
      'them, would drop users from the plan unseen.',
    fix: 'Correct the row named.',
  },
} satisfies Record<string, Omit<RuleInfo, 'id' | 'severity'>>;

export type LoaderCheckId = keyof typeof CHECKS;

export const LOADER_CHECKS: readonly RuleInfo[] = Object.entries(CHECKS).map(([id, check]) => ({
  id,
  severity: 'error',
  ...check,
}));
