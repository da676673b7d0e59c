/**
 * GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=…::message` per finding,
 * so findings show as annotations on the pull request.
 */
import { displayPath } from './paths.js';
import type { ReportInput } from './types.js';

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

export function formatGithub({ findings, cwd }: ReportInput): string {
  return findings
    .map((f) => {
      const props = [`file=${escapeProperty(displayPath(f.location.file, cwd))}`];
      if (f.location.line > 0) props.push(`line=${f.location.line}`, `col=${f.location.column}`);
      props.push(`title=${escapeProperty(`mxplan ${f.rule}`)}`);
      const text = f.fix ? `${f.message}\n${f.fix}` : f.message;
      return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(text)}\n`;
    })
    .join('');
}

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
