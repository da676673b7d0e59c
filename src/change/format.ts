/**
 * `mxplan diff` output: text for a terminal, Markdown for a pull-request comment, JSON for tools.
 * Pure functions of the diff; paths are shown relative to `cwd`.
 *
 * Record changes use DNSControl's words and marks (`+ CREATE`, `- DELETE`, `± MODIFY`,
 * `± MODIFY-TTL`); Markdown puts them in a `diff` block, where GitHub colours `+`, `-` and `!`.
 * MTA configuration changes come per host and file, after the records: as the unified diff of
 * the generated file (`--mta diff`, the default) or as one line of the entries it gains, loses and
 * changes (`--mta summary`). JSON carries the summary always and the patch unless `summary`.
 */
import type { SourceLocation } from '../diagnostics.js';
import { shown, type RecordChange } from '../dns/diff.js';
import { recordLine } from '../dns/presentation.js';
import { duration } from '../dns/zone-file.js';
import { displayPath } from '../report/paths.js';
import type { PlanDiff } from './diff.js';
import type { Step } from './migration.js';
import type { MtaFileChange, MtaHostChange } from './mta-diff.js';
import { count, listOf } from '../words.js';
import { policyLabel, type PlanChange } from './plan-changes.js';

export const DIFF_FORMATS = ['text', 'json', 'markdown'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** How MTA configuration changes are shown: the unified diff of each file, or a line per file. */
export const MTA_DETAILS = ['diff', 'summary'] as const;
export type MtaDetail = (typeof MTA_DETAILS)[number];

export interface FormatOptions {
  readonly cwd: string;
  readonly mta?: MtaDetail;
}

export function formatDiff(diff: PlanDiff, format: DiffFormat, options: FormatOptions): string {
  const o = { cwd: options.cwd, mta: options.mta ?? 'diff' };
  switch (format) {
    case 'text':
      return formatText(diff, o);
    case 'markdown':
      return formatMarkdown(diff, o);
    case 'json':
      return formatJson(diff, o);
  }
}

/** One sentence per plan change, in the plan's names. */
export function describeChange(change: PlanChange): string {
  switch (change.kind) {
    case 'host-added':
      return `host ${change.host} (${change.fqdn}) is added`;
    case 'host-retired':
      return `host ${change.host} (${change.fqdn}) is retired`;
    case 'host-changed':
      return `host ${change.host}: ${change.field} ${change.before} → ${change.after}`;
    case 'domain-added':
      return `domain ${change.domain} is added`;
    case 'domain-removed':
      return `domain ${change.domain} is removed`;
    case 'user-moved':
      return `user ${change.address} moves from ${change.from} to ${change.to}`;
    case 'user-added':
      return `user ${change.address} is added, at home on ${change.home}`;
    case 'user-removed':
      return `user ${change.address} (at home on ${change.home}) is removed`;
    case 'alias-added':
      return `alias ${change.address} is added: ${change.after.join(', ')}`;
    case 'alias-removed':
      return `alias ${change.address} is removed`;
    case 'alias-changed':
      return `alias ${change.address}: ${change.before.join(', ')} → ${change.after.join(', ')}`;
    case 'mx':
      return `MX of ${change.domain}: ${change.before.join(', ') || '(none)'} → ${change.after.join(', ') || '(none)'}`;
    case 'backup-recipients': {
      const parts = [];
      if (change.added.length > 0) parts.push(`+${change.added.length} (${listOf(change.added, 3)})`);
      if (change.removed.length > 0) parts.push(`-${change.removed.length} (${listOf(change.removed, 3)})`);
      return `recipients of backup ${change.host} for ${change.domain}: ${parts.join(', ')}`;
    }
    case 'spf':
    case 'dmarc':
    case 'mta-sts':
    case 'tls-rpt':
      return `${policyLabel(change.kind)} of ${change.domain}: ${change.before ?? '(none)'} → ${change.after ?? '(none)'}`;
    case 'mta':
      return `host ${change.host}: its Postfix and Dovecot configuration changes (${listOf(change.files, 4)})`;
  }
}

/**
 * One MTA file change on one line, in the file's own terms: "postfix/transport: +1 (bob@acme.example),
 * -1 (carol@globex.example)"; a file without entries (dovecot.conf) by its lines.
 */
export function mtaFileLine(change: MtaFileChange): string {
  if (change.status !== 'changed')
    return `${change.file}: ${change.status === 'added' ? 'new' : 'removed'}, ${count(Math.max(change.plus, change.minus), 'line')}`;
  const parts: string[] = [];
  const e = change.entries;
  if (e) {
    if (e.added.length > 0) parts.push(`+${e.added.length} (${listOf(e.added, 3)})`);
    if (e.removed.length > 0) parts.push(`-${e.removed.length} (${listOf(e.removed, 3)})`);
    if (e.changed.length > 0) parts.push(`changed ${e.changed.length} (${listOf(e.changed, 3)})`);
  }
  if (parts.length === 0) parts.push(`+${change.plus} -${change.minus} lines`);
  return `${change.file}: ${parts.join(', ')}`;
}

function mtaHostTitle(host: MtaHostChange): string {
  return `host ${host.host}${host.status === 'changed' ? '' : ` (${host.status})`}`;
}

const MARK: Record<RecordChange['kind'], string> = {
  create: '+ CREATE',
  delete: '- DELETE',
  modify: '± MODIFY',
  'modify-ttl': '± MODIFY-TTL',
};

/** A record change on one line: `± MODIFY acme.example. 3600 IN TXT "a" -> "b"`. */
export function recordChangeLine(change: RecordChange): string {
  switch (change.kind) {
    case 'create':
      return `${MARK.create} ${recordLine(change.after)}`;
    case 'delete':
      return `${MARK.delete} ${recordLine(change.before)}`;
    case 'modify':
      return `${MARK.modify} ${recordLine(change.before)} -> ${recordLine(change.after)}`;
    case 'modify-ttl':
      return `${MARK['modify-ttl']} ${recordLine(change.after)} ttl=(${change.before.ttl}->${change.after.ttl})`;
  }
}

function where(at: SourceLocation, cwd: string): string {
  return `${displayPath(at.file, cwd)}:${at.line}:${at.column}`;
}

function mtaHosts(diff: PlanDiff): readonly MtaHostChange[] {
  return diff.mta.available ? diff.mta.hosts : [];
}

function summary(diff: PlanDiff): string {
  const records = diff.records.reduce((n, z) => n + z.changes.length, 0);
  const hazards = diff.migration.hazards;
  const unsafe = hazards.filter((h) => h.severity === 'unsafe').length;
  const hosts = mtaHosts(diff);
  const parts = [
    count(diff.changes.length, 'plan change'),
    `${count(records, 'record change')} in ${count(diff.records.length, 'zone')}`,
  ];
  if (hosts.length > 0)
    parts.push(
      `${count(
        hosts.reduce((n, h) => n + h.files.length, 0),
        'MTA file',
      )} on ${count(hosts.length, 'host')}`,
    );
  if (unsafe > 0) parts.push(`${unsafe} unsafe`);
  return parts.join(', ');
}

function formatText(diff: PlanDiff, { cwd, mta }: Required<FormatOptions>): string {
  const out = [`mxplan diff ${displayPath(diff.before, cwd)} → ${displayPath(diff.after, cwd)}: ${summary(diff)}`];
  if (diff.changes.length === 0 && diff.records.length === 0 && mtaHosts(diff).length === 0)
    return `${out[0]}\nno changes\n`;
  if (diff.changes.length > 0) {
    out.push('', 'Plan changes');
    for (const change of diff.changes) out.push(`  ${describeChange(change)}  (${where(change.at, cwd)})`);
  }
  if (diff.records.length > 0) {
    out.push('', 'Record changes');
    for (const zone of diff.records) {
      out.push(`  zone ${zone.origin}${zone.status === 'changed' ? '' : ` (${zone.status})`}`);
      for (const change of zone.changes) out.push(`    ${recordChangeLine(change)}`);
    }
  }
  if (!diff.mta.available) out.push('', `MTA configuration not compared: ${diff.mta.reason}`);
  else if (diff.mta.hosts.length > 0) {
    out.push('', 'MTA configuration changes');
    for (const host of diff.mta.hosts) {
      out.push(`  ${mtaHostTitle(host)}`);
      for (const file of host.files) {
        out.push(`    ${mtaFileLine(file)}`);
        if (mta === 'diff') for (const line of patchLines(file)) out.push(`      ${line}`.trimEnd());
      }
    }
  }
  out.push('', 'Migration order');
  diff.migration.steps.forEach((step, i) => {
    out.push(`  ${i + 1}. ${step.title}`);
    for (const action of step.actions) {
      out.push(`       ${action.text}`);
      for (const change of action.records ?? []) out.push(`         ${recordChangeLine(change)}`);
    }
    if (step.wait > 0) out.push(`     then wait ${duration(step.wait)}: ${step.waitReason}`);
  });
  if (diff.migration.hazards.length > 0) {
    out.push('', 'Hazards');
    for (const h of diff.migration.hazards) out.push(`  ${h.severity}: ${h.message}  (${where(h.at, cwd)})`);
  }
  out.push('', 'Assumptions');
  for (const a of diff.migration.assumptions) out.push(`  - ${a}`);
  return `${out.join('\n')}\n`;
}

function formatMarkdown(diff: PlanDiff, { cwd, mta }: Required<FormatOptions>): string {
  const out = [
    '## mxplan diff',
    '',
    `\`${displayPath(diff.before, cwd)}\` → \`${displayPath(diff.after, cwd)}\`: ${summary(diff)}.`,
  ];
  if (diff.changes.length === 0 && diff.records.length === 0 && mtaHosts(diff).length === 0)
    return `${out.join('\n')}\n\nNo changes.\n`;
  const unsafe = diff.migration.hazards.filter((h) => h.severity === 'unsafe');
  if (unsafe.length > 0) {
    out.push('', '> [!CAUTION]');
    for (const h of unsafe) out.push(`> **Unsafe:** ${cell(h.message)} (\`${where(h.at, cwd)}\`)`);
  }
  if (diff.changes.length > 0) {
    out.push('', '### Plan changes', '', '| change | where |', '| --- | --- |');
    for (const change of diff.changes) out.push(`| ${cell(describeChange(change))} | \`${where(change.at, cwd)}\` |`);
  }
  if (diff.records.length > 0) {
    out.push('', '### Record changes', '', '```diff');
    for (const zone of diff.records) {
      out.push(`# zone ${zone.origin}${zone.status === 'changed' ? '' : ` (${zone.status})`}`);
      for (const change of zone.changes) out.push(diffLine(change));
    }
    out.push('```');
  }
  if (!diff.mta.available) out.push('', `MTA configuration not compared: ${cell(diff.mta.reason)}`);
  else if (diff.mta.hosts.length > 0) {
    out.push('', '### MTA configuration changes', '');
    for (const host of diff.mta.hosts) {
      out.push(`- **${mtaHostTitle(host)}**`);
      for (const file of host.files) out.push(`  - \`${mtaFileLine(file)}\``);
      // The patches are long: folded, one block per host, where GitHub colours them.
      if (mta === 'diff')
        out.push(
          '',
          `  <details><summary>${host.host}: the unified diff</summary>`,
          '',
          '  ```diff',
          ...host.files.flatMap(patchLines).map((l) => `  ${l}`.trimEnd()),
          '  ```',
          '',
          '  </details>',
        );
    }
  }
  out.push('', '### Migration order', '');
  diff.migration.steps.forEach((step, i) => out.push(...markdownStep(step, i + 1)));
  const cautions = diff.migration.hazards.filter((h) => h.severity === 'caution');
  if (cautions.length > 0) {
    out.push('', '### Cautions', '');
    for (const h of cautions) out.push(`- ${cell(h.message)} (\`${where(h.at, cwd)}\`)`);
  }
  out.push('', '<details><summary>Assumptions</summary>', '');
  for (const a of diff.migration.assumptions) out.push(`- ${a}`);
  out.push('', '</details>');
  return `${out.join('\n')}\n`;
}

/** GitHub's diff highlighting: `+` added, `-` removed, `!` changed. */
function diffLine(change: RecordChange): string {
  const line = recordChangeLine(change);
  return change.kind === 'create' || change.kind === 'delete' ? line : `! ${line.slice(2)}`;
}

function markdownStep(step: Step, n: number): string[] {
  const wait = step.wait > 0 ? ` Then wait **${duration(step.wait)}**: ${step.waitReason}.` : '';
  const lines = [`${n}. **${step.title}**.${wait}`];
  for (const action of step.actions) {
    lines.push(`   - ${cell(action.text)}`);
    for (const change of action.records ?? []) lines.push(`     - \`${recordChangeLine(change)}\``);
  }
  return lines;
}

function formatJson(diff: PlanDiff, { cwd, mta }: Required<FormatOptions>): string {
  const location = (at: SourceLocation) => ({ ...at, file: displayPath(at.file, cwd) });
  const record = (change: RecordChange) => {
    const r = shown(change);
    return {
      kind: change.kind,
      owner: r.name,
      type: r.type,
      ...('before' in change ? { before: { ttl: change.before.ttl, data: change.before.data } } : {}),
      ...('after' in change ? { after: { ttl: change.after.ttl, data: change.after.data } } : {}),
      text: recordChangeLine(change),
    };
  };
  const hazards = diff.migration.hazards;
  const body = {
    before: displayPath(diff.before, cwd),
    after: displayPath(diff.after, cwd),
    summary: {
      planChanges: diff.changes.length,
      recordChanges: diff.records.reduce((n, z) => n + z.changes.length, 0),
      zones: diff.records.length,
      mtaFiles: mtaHosts(diff).reduce((n, h) => n + h.files.length, 0),
      unsafe: hazards.filter((h) => h.severity === 'unsafe').length,
      cautions: hazards.filter((h) => h.severity === 'caution').length,
    },
    changes: diff.changes.map((c) => ({ ...c, message: describeChange(c), at: location(c.at) })),
    records: diff.records.map((z) => ({ zone: z.origin, status: z.status, changes: z.changes.map(record) })),
    mta: diff.mta.available
      ? diff.mta.hosts.map((h) => ({
          host: h.host,
          status: h.status,
          files: h.files.map((f) => ({
            file: f.file,
            status: f.status,
            plus: f.plus,
            minus: f.minus,
            ...(f.entries && { entries: f.entries }),
            text: mtaFileLine(f),
            ...(mta === 'diff' && { patch: f.patch }),
          })),
        }))
      : { unavailable: diff.mta.reason },
    migration: {
      steps: diff.migration.steps.map((s, i) => ({
        step: i + 1,
        phase: s.phase,
        title: s.title,
        actions: s.actions.map((a) => ({
          text: a.text,
          ...(a.records ? { records: a.records.map(record) } : {}),
          ...(a.mta ? { mta: a.mta } : {}),
        })),
        wait: s.wait,
        ...(s.waitReason ? { waitReason: s.waitReason } : {}),
      })),
      hazards: hazards.map((h) => ({ ...h, at: location(h.at) })),
      assumptions: diff.migration.assumptions,
    },
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** The file's unified diff, its `---`/`+++` header and hunks, line by line. */
function patchLines(file: MtaFileChange): string[] {
  return file.patch.replace(/\n$/, '').split('\n');
}

/** Text safe inside a Markdown table cell or list item. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
