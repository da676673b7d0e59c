/**
 * Findings shared by the loader, the linter and the reporters.
 *
 * A location always names the user's own file: the topology, or a CSV it references.
 * `path` is a JSON pointer into the topology document ("/domains/acme.example/mx/0").
 */
export type Severity = 'error' | 'warning' | 'info';

/**
 * A rule's level, as the topology's `lint.rules` or `--rule id=level` sets it: a severity, or off.
 * `warn` is accepted for `warning` everywhere (it is ESLint's word; findings say `warning`).
 */
export type RuleLevel = Severity | 'off';

export const RULE_LEVEL_WORDS = ['off', 'info', 'warn', 'warning', 'error'] as const;

export function ruleLevel(word: string): RuleLevel | undefined {
  if (word === 'warn') return 'warning';
  return (RULE_LEVEL_WORDS as readonly string[]).includes(word) ? (word as RuleLevel) : undefined;
}

/**
 * What the listing, the docs and the reporters know of a check, a lint rule's or the loader's
 * (the registry, lint/index.ts, holds both): enough to cite and explain it.
 */
export interface RuleInfo {
  /** kebab-case; the heading of its section in docs/rules.md. */
  readonly id: string;
  /** One sentence: what the check wants to be true. */
  readonly description: string;
  readonly severity: Severity;
  /** "RFC 5321 §5.1" and the like; at least one. */
  readonly references: readonly string[];
  /** Why the check exists, in a few sentences. */
  readonly rationale: string;
  /** The fix, in one sentence, as shown under each finding. */
  readonly fix: string;
}

export const PROJECT_URL = 'https://github.com/mxplan/mxplan';

/** Where a rule or a check of the input is explained: its section of docs/rules.md, headed by its id. */
export function ruleDocUrl(id: string): string {
  return `${PROJECT_URL}/blob/main/docs/rules.md#${id}`;
}

export interface SourceLocation {
  readonly file: string;
  /** 1-based; 0 when the position is unknown. */
  readonly line: number;
  /** 1-based; 0 when the position is unknown. */
  readonly column: number;
  readonly path: string;
}

export interface Finding {
  /** The id of the rule or loader check that raised it; `mxplan rules` lists them all (see RuleInfo). */
  readonly rule: string;
  /** The rule's message template id, for tests and tools that match findings without their text. */
  readonly messageId?: string;
  readonly severity: Severity;
  readonly message: string;
  readonly location: SourceLocation;
  /** Other places that take part in the problem (the primary MX a backup clashes with, say). */
  readonly related?: readonly SourceLocation[];
  /** What to change, in one sentence. */
  readonly fix?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Findings in reading order: by file, line, column, then severity and rule. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
