/**
 * SARIF 2.1.0 for code-scanning upload: the rule catalogue in tool.driver.rules, one result per
 * finding with its physical location in the topology (or CSV) file.
 */
import { displayPath } from './paths.js';
import type { ReportInput, RuleInfo } from './types.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** Findings the loader raises before any rule runs; they are part of the catalogue SARIF shows. */
const LOADER_RULES: readonly RuleInfo[] = [
  {
    id: 'topology-syntax',
    description: 'The topology is well-formed YAML or JSON.',
    severity: 'error',
    references: ['YAML 1.2'],
    fix: 'Correct the syntax at the position shown.',
  },
  {
    id: 'topology-schema',
    description: 'The topology has the documented shape (schemas/topology.schema.json).',
    severity: 'error',
    references: ['JSON Schema 2020-12'],
    fix: 'Correct the key or value named.',
  },
  {
    id: 'users-csv',
    description: 'A users file is readable CSV with the columns local, host and quota.',
    severity: 'error',
    references: ['RFC 4180'],
    fix: 'Correct the row named.',
  },
  {
    id: 'lint-config',
    description: 'lint.rules names only rules that exist.',
    severity: 'error',
    references: ['mxplan rules'],
    fix: 'Use an id that `mxplan rules` lists.',
  },
];

export function formatSarif({ findings, rules, cwd }: ReportInput, { version }: { version: string }): string {
  const catalogue = [...LOADER_RULES, ...[...rules.values()].sort((a, b) => a.id.localeCompare(b.id))];
  const index = new Map(catalogue.map((r, i) => [r.id, i]));
  const location = (l: { file: string; line: number; column: number }) => ({
    physicalLocation: {
      artifactLocation: { uri: displayPath(l.file, cwd) },
      ...(l.line > 0 ? { region: { startLine: l.line, ...(l.column > 0 ? { startColumn: l.column } : {}) } } : {}),
    },
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mxplan',
            version,
            informationUri: 'https://github.com/mxplan/mxplan',
            rules: catalogue.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)(\w)/g, (_, __, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.description },
              fullDescription: { text: r.rationale ?? r.description },
              help: { text: `${r.fix}\nSee ${r.references.join(', ')}.` },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ['mail', 'dns'], references: r.references },
            })),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: findings.map((f) => ({
          ruleId: f.rule,
          ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
          level: LEVEL[f.severity],
          message: { text: f.fix ? `${f.message}. Fix: ${f.fix}` : f.message },
          locations: [location(f.location)],
          ...(f.related ? { relatedLocations: f.related.map((r, id) => ({ id, ...location(r) })) } : {}),
          partialFingerprints: { 'mxplan/v1': `${f.rule}:${f.location.path}:${f.messageId ?? ''}` },
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
