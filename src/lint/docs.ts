/**
 * The rule reference (docs/rules.md), rendered from the registry's own metadata so it cannot
 * drift, with a failing and a passing topology per rule taken from the rule's own test cases.
 * The catalogue meta-test (test/lint/catalogue.test.ts) renders it from those cases and compares
 * it with the committed file; `npm run docs` writes it.
 */
import type { RuleInfo } from '../diagnostics.js';
import { catalogue, loaderChecks, rules } from './index.js';
import type { RuleMeta } from './rule.js';

/** One test case of a rule, as the docs show it. */
export interface RuleExample {
  /** The case's name in the rule's test table. */
  readonly name: string;
  /** What the case sets, as YAML: an excerpt of the base plan; none when it is the base plan itself. */
  readonly excerpt?: string;
  /** Files the case reads (users CSVs; a DKIM key as a note of what it holds), by the name the topology gives. */
  readonly files?: Readonly<Record<string, string>>;
  /** What lint says of it, one line per finding (a failing case). */
  readonly findings?: readonly string[];
}

export interface RuleExamples {
  readonly invalid: RuleExample;
  readonly valid: RuleExample;
}

export interface DocsExamples {
  /** The plan the excerpts are taken from (test/helpers/topology.ts), as YAML. */
  readonly base: string;
  readonly rules: ReadonlyMap<string, RuleExamples>;
}

const HEADER = [
  '# Lint rules',
  '',
  "<!-- Generated from the rule registry and the rules' test cases by `npm run docs`; do not edit by hand. -->",
  '',
  '`mxplan lint` runs the `recommended` rules; `mxplan lint --strict` adds the `strict` ones. A topology can set any',
  'rule to off, info, warning (or warn) or error under `lint.rules`, and the command line with `--rule id=level`.',
  '',
  'Severity: **error** when mail is lost, bounced or misrouted; **warning** when the plan works but is fragile;',
  '**info** for advice. `mxplan rules <id>` prints one section of this page.',
];

export function renderRuleDocs(examples?: DocsExamples): string {
  const metas = [...rules.values()].map((rule) => rule.meta);
  const checks = [...loaderChecks.values()];
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
    `and ${checks.length} checks of the input, made before any rule runs; they are always on, at error level:`,
    '',
    '| Check | Description |',
    '| --- | --- |',
    ...checks.map((c) => `| [${c.id}](#${c.id}) | ${cell(c.description)} |`),
    '',
    ...(examples ? baseSection(examples.base) : []),
    ...metas.flatMap((meta) => ruleLines(meta, examples?.rules.get(meta.id))),
    ...checks.flatMap((check) => checkLines(check)),
  ];
  return lines.join('\n');
}

/** One section of the page, as `mxplan rules <id>` prints it. */
export function ruleSection(id: string, examples?: RuleExamples): string {
  const meta = rules.get(id)?.meta;
  const info = catalogue.get(id);
  if (!info) throw new RangeError(`no rule or check "${id}"`);
  return (meta ? ruleLines(meta, examples) : checkLines(info)).join('\n');
}

function baseSection(base: string): string[] {
  return [
    '## The examples',
    '',
    "Each rule shows a topology that breaks it (❌) and one that keeps it (✅), taken from the rule's own test",
    'cases (`test/lint/rules/<id>.test.ts`). The cases are variations of one plan, which lints clean under every',
    'rule; an example shows only the parts of it the case sets, and the rest is as here:',
    '',
    '```yaml',
    base.trimEnd(),
    '```',
    '',
  ];
}

function ruleLines(meta: RuleMeta<string>, examples: RuleExamples | undefined): string[] {
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
    ...(examples ? [...exampleLines('❌', examples.invalid), ...exampleLines('✅', examples.valid)] : []),
  ];
}

function checkLines(check: RuleInfo): string[] {
  return [
    `## ${check.id}`,
    '',
    check.description,
    '',
    '- Category: input (always on, at error level; `lint.rules` and `--rule` do not apply)',
    `- References: ${check.references.join('; ')}`,
    '',
    check.rationale,
    '',
    `**Fix:** ${check.fix}`,
    '',
  ];
}

function exampleLines(mark: string, example: RuleExample): string[] {
  return [
    ...(example.excerpt === undefined
      ? [`${mark} ${example.name}: the plan above as it is.`, '']
      : [`${mark} ${example.name}:`, '', '```yaml', example.excerpt.trimEnd(), '```', '']),
    ...Object.entries(example.files ?? {}).flatMap(([name, text]) => [
      `with \`${name}\`:`,
      '',
      // A users file is CSV; anything else (a DKIM key) is shown as a note of what it holds.
      name.endsWith('.csv') ? '```csv' : '```text',
      text.trimEnd(),
      '```',
      '',
    ]),
    ...(example.findings && example.findings.length > 0
      ? ['`mxplan lint` says:', '', '```text', ...example.findings, '```', '']
      : []),
  ];
}

/** Markdown table cells cannot hold a bare pipe. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
