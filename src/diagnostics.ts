/**
 * Findings shared by the loader, the linter and the reporters.
 *
 * A location always names the user's own file: the topology, or a CSV it references.
 * `path` is a JSON pointer into the topology document ("/domains/acme.example/mx/0").
 */
export type Severity = 'error' | 'warning' | 'info';

export interface SourceLocation {
  readonly file: string;
  /** 1-based; 0 when the position is unknown. */
  readonly line: number;
  /** 1-based; 0 when the position is unknown. */
  readonly column: number;
  readonly path: string;
}

export interface Finding {
  /** Rule id (kebab-case), or one of the loader's ids: `topology-syntax`, `topology-schema`, `users-csv`. */
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
