/** Machine-readable findings: `{ findings: [...], summary }`, stable key order, one trailing newline. */
import { countBySeverity } from '../diagnostics.js';
import { displayPath } from './paths.js';
import type { ReportInput } from './types.js';

export function formatJson({ findings, rules, cwd }: ReportInput): string {
  const body = {
    findings: findings.map((f) => ({
      rule: f.rule,
      ...(f.messageId ? { messageId: f.messageId } : {}),
      severity: f.severity,
      message: f.message,
      location: { ...f.location, file: displayPath(f.location.file, cwd) },
      ...(f.related ? { related: f.related.map((r) => ({ ...r, file: displayPath(r.file, cwd) })) } : {}),
      ...(f.fix ? { fix: f.fix } : {}),
      references: rules.get(f.rule)?.references ?? [],
    })),
    summary: countBySeverity(findings),
  };
  return JSON.stringify(body, null, 2) + '\n';
}
