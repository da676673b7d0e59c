/** The lint output formats, by the name --format takes. */
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatSarif } from './sarif.js';
import { formatStylish } from './stylish.js';
import type { ReportInput } from './types.js';

export const LINT_FORMATS = ['stylish', 'json', 'sarif', 'github'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export function formatFindings(
  format: LintFormat,
  input: ReportInput,
  options: { color: boolean; version: string },
): string {
  switch (format) {
    case 'stylish':
      return formatStylish(input, options);
    case 'json':
      return formatJson(input);
    case 'sarif':
      return formatSarif(input, options);
    case 'github':
      return formatGithub(input);
  }
}
