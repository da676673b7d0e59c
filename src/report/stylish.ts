/**
 * ESLint-style text: findings grouped by file, one line each with line:col, severity, message
 * and rule id, the RFC it rests on and the fix beneath, then a summary.
 */
import { Chalk } from 'chalk';
import { countBySeverity, type Finding } from '../diagnostics.js';
import { displayPath } from './paths.js';
import type { ReportInput } from './types.js';

export function formatStylish({ findings, rules, cwd }: ReportInput, { color }: { color: boolean }): string {
  if (findings.length === 0) return `${summaryLine(findings, { color })}\n`;
  const c = new Chalk({ level: color ? 1 : 0 });
  const paint = { error: c.red, warning: c.yellow, info: c.blue } as const;
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    const file = displayPath(f.location.file, cwd);
    byFile.set(file, [...(byFile.get(file) ?? []), f]);
  }
  const out: string[] = [];
  for (const [file, list] of byFile) {
    out.push(c.underline(file));
    const positions = list.map((f) => `${f.location.line}:${f.location.column}`);
    const width = Math.max(...positions.map((p) => p.length));
    list.forEach((f, i) => {
      const refs = rules.get(f.rule)?.references ?? [];
      out.push(
        `  ${c.dim(positions[i]!.padEnd(width))}  ${paint[f.severity](f.severity.padEnd(7))}  ${f.message}  ${c.dim(f.rule)}`,
      );
      const indent = ' '.repeat(width + 13);
      if (refs.length > 0) out.push(`${indent}${c.dim(`see ${refs.join(', ')}`)}`);
      if (f.fix) out.push(`${indent}${c.dim(`fix: ${f.fix}`)}`);
    });
    out.push('');
  }
  out.push(summaryLine(findings, { color }));
  return out.join('\n') + '\n';
}

/** The last line of stylish output: "✖ 3 problems (1 error, 2 warnings)", or "✔ no problems". */
export function summaryLine(findings: readonly Finding[], { color }: { color: boolean }): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const counts = countBySeverity(findings);
  const total = findings.length;
  if (total === 0) return `${c.green('✔')} no problems`;
  const parts = [
    `${counts.error} error${counts.error === 1 ? '' : 's'}`,
    `${counts.warning} warning${counts.warning === 1 ? '' : 's'}`,
  ];
  if (counts.info > 0) parts.push(`${counts.info} info`);
  const mark = counts.error > 0 ? c.red.bold('✖') : counts.warning > 0 ? c.yellow.bold('⚠') : c.blue.bold('ℹ');
  return `${mark} ${c.bold(`${total} problem${total === 1 ? '' : 's'} (${parts.join(', ')})`)}`;
}
