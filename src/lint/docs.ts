/**
 * The rule reference (docs/rules.md), rendered from the rules' own metadata so it cannot drift:
 * a meta-test compares the committed file with this output. Regenerate with `npm run docs`.
 */
import { rules } from './index.js';
import type { RuleMeta } from './rule.js';

const HEADER = [
  '# Lint rules',
  '',
  '<!-- Generated from the rule metadata in src/lint/rules/ by `npm run docs`; do not edit by hand. -->',
  '',
  '`mxplan lint` runs the `recommended` rules; `mxplan lint --strict` adds the `strict` ones. A topology can set any',
  'rule to off, info, warn or error under `lint.rules`, and the command line with `--rule id=level`.',
  '',
  'Severity: **error** when mail is lost, bounced or misrouted; **warning** when the plan works but is fragile;',
  '**info** for advice. `mxplan rules <id>` prints one section of this page.',
];

export function renderRuleDocs(): string {
  const metas = [...rules.values()].map((rule) => rule.meta);
  const lines = [
    ...HEADER,
    '',
    `${metas.length} rules:`,
    '',
    '| Rule | Category | Severity | Sets | Description |',
    '| --- | --- | --- | --- | --- |',
    ...metas.map(
      (m) => `| [${m.id}](#${m.id}) | ${m.category} | ${m.severity} | ${m.sets.join(', ')} | ${cell(m.description)} |`,
    ),
    '',
    ...metas.flatMap(section),
  ];
  return lines.join('\n');
}

function section(meta: RuleMeta<string>): string[] {
  return [
    `## ${meta.id}`,
    '',
    meta.description,
    '',
    `- Category: ${meta.category}`,
    `- Severity: ${meta.severity}`,
    `- Sets: ${meta.sets.join(', ')}`,
    `- References: ${meta.references.join('; ')}`,
    '',
    meta.rationale,
    '',
    `**Fix:** ${meta.fix}`,
    '',
    'Messages:',
    '',
    ...Object.entries(meta.messages).map(([id, text]) => `- \`${id}\`: ${text}`),
    '',
  ];
}

/** Markdown table cells cannot hold a bare pipe. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
