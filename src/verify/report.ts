/**
 * Verify's output: text for people (a table of scenarios, then every failure with the address,
 * what was expected, what was observed and the hop trail), JSON for tools, JUnit XML for CI
 * test reports. Pure functions of the result.
 */
import { Chalk } from 'chalk';
import type { CaseResult } from './context.js';
import type { VerifyResult } from './run.js';

export const VERIFY_FORMATS = ['text', 'json', 'junit'] as const;
export type VerifyFormat = (typeof VERIFY_FORMATS)[number];

export function formatVerify(
  format: VerifyFormat,
  result: VerifyResult,
  options: { color: boolean; topology: string },
): string {
  switch (format) {
    case 'text':
      return formatText(result, options);
    case 'json':
      return (
        JSON.stringify({ topology: options.topology, ...result, passed: failures(result).length === 0 }, null, 2) + '\n'
      );
    case 'junit':
      return formatJunit(result, options.topology);
  }
}

export function failures(result: VerifyResult): CaseResult[] {
  return result.cases.filter((c) => c.status === 'fail');
}

function formatText(result: VerifyResult, { color, topology }: { color: boolean; topology: string }): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const out: string[] = [];
  const failed = failures(result);
  if (failed.length > 0) {
    out.push(c.bold('Failures'), '');
    for (const f of failed) {
      out.push(`${c.red('✖')} ${c.bold(f.scenario)}: ${f.name}`);
      if (f.expected) out.push(`    expected: ${f.expected}`);
      if (f.observed) out.push(`    observed: ${f.observed}`);
      if (f.trail && f.trail.length > 0) out.push(`    trail:    ${f.trail.join(' → ')}`);
      out.push('');
    }
  }
  const rows = [['scenario', 'passed', 'failed', 'skipped', 'time']];
  for (const s of result.scenarios)
    rows.push([s.name, String(s.passed), String(s.failed), String(s.skipped), `${(s.durationMs / 1000).toFixed(1)} s`]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, i) => {
    const line = r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  ');
    const failedHere = i > 0 && r[2] !== '0';
    out.push(i === 0 ? c.dim(line) : failedHere ? c.red(line) : line);
  });
  // A migration's findings that are no failure: what waits to be copied on, what the backups held.
  const notes = result.cases.filter((k) => k.scenario === 'migration' && k.status === 'pass' && k.note);
  if (notes.length > 0) out.push('', ...notes.map((k) => `${k.name}: ${k.note}`));
  const total = result.cases.length;
  const verdict =
    failed.length === 0
      ? c.green(`✔ ${topology}: ${total - countSkips(result)} checks passed`)
      : c.red(`✖ ${topology}: ${failed.length} of ${total} checks failed`);
  out.push('', `${verdict} in ${(result.durationMs / 1000).toFixed(1)} s`);
  if (result.engine) out.push(c.dim(`run on ${result.engine}`));
  if (result.stateDir) out.push(`state kept in ${result.stateDir} (Maildirs and queues per host)`);
  return out.join('\n') + '\n';
}

function countSkips(result: VerifyResult): number {
  return result.cases.filter((c) => c.status === 'skip').length;
}

/** JUnit XML as CI systems read it: one testsuite per scenario, one testcase per check. */
function formatJunit(result: VerifyResult, topology: string): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failed = failures(result).length;
  lines.push(
    `<testsuites name="mxplan verify ${xml(topology)}" tests="${result.cases.length}" failures="${failed}" time="${seconds(result.durationMs)}">`,
  );
  for (const s of result.scenarios) {
    const cases = result.cases.filter((c) => c.scenario === s.name);
    lines.push(
      `  <testsuite name="${xml(s.name)}" tests="${cases.length}" failures="${s.failed}" skipped="${s.skipped}" time="${seconds(s.durationMs)}">`,
    );
    for (const k of cases) {
      const open = `    <testcase classname="mxplan.verify.${xml(s.name)}" name="${xml(k.name)}"`;
      if (k.status === 'pass') lines.push(`${open}/>`);
      else if (k.status === 'skip') lines.push(`${open}><skipped message="${xml(k.note ?? '')}"/></testcase>`);
      else {
        const body = [
          k.expected && `expected: ${k.expected}`,
          k.observed && `observed: ${k.observed}`,
          k.trail?.length && `trail: ${k.trail.join(' -> ')}`,
        ]
          .filter(Boolean)
          .join('\n');
        lines.push(`${open}><failure message="${xml(k.observed ?? 'failed')}">${xml(body)}</failure></testcase>`);
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
