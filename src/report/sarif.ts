/**
 * SARIF 2.1.0 for code-scanning upload: the rule catalogue in tool.driver.rules, one result per
 * finding with its physical location in the topology (or CSV) file.
 */
import { PROJECT_URL, ruleDocUrl } from '../diagnostics.js';
import { displayPath } from './paths.js';
import type { ReportInput } from './types.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

export function formatSarif({ findings, rules, cwd }: ReportInput, { version }: { version: string }): string {
  const catalogue = [...rules.values()];
  const index = new Map(catalogue.map((r, i) => [r.id, i]));
  const location = (l: { file: string; line: number; column: number }) => ({
    physicalLocation: {
      // A URI reference (RFC 3986): spaces and the brackets of "<stdin>" are percent-encoded.
      artifactLocation: { uri: encodeURI(displayPath(l.file, cwd)) },
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
            informationUri: PROJECT_URL,
            rules: catalogue.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)(\w)/g, (_, __, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.description },
              fullDescription: { text: r.rationale },
              helpUri: ruleDocUrl(r.id),
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
