import { Option, type Command } from 'commander';
import { ruleLevel, type RuleLevel } from '../../diagnostics.js';
import { ProblemsError, UsageError } from '../../errors.js';
import { LINT_FORMATS, type LintFormat } from '../../report/index.js';
import { attempt } from '../failure.js';
import { useColor, versionOf } from '../io.js';
import { collect, integerOption } from '../options.js';

interface LintFlags {
  format: LintFormat;
  strict?: boolean;
  rule: string[];
  maxWarnings?: number;
  quiet?: boolean;
  outputFile?: string;
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check a topology for every mistake that would lose, bounce or misroute mail')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .addOption(new Option('-f, --format <format>', 'output format').choices(LINT_FORMATS).default('stylish'))
    .option('--strict', 'also run the strict rule set')
    .option('-r, --rule <id=level>', 'set a rule to off, info, warning (or warn) or error (repeatable)', collect, [])
    .addOption(integerOption('--max-warnings <n>', 'exit 1 when there are more warnings than this', 0))
    .option('-q, --quiet', 'report errors only (warnings still count for --max-warnings)')
    .option('-o, --output-file <file>', 'write the report to this file; the terminal gets a one-line summary')
    .action(async (file: string, flags: LintFlags, command: Command) => {
      const [{ checkTopology }, { catalogue }, { formatFindings }, { countBySeverity }, { summaryLine }] =
        await Promise.all([
          import('../../lint/check.js'),
          import('../../lint/index.js'),
          import('../../report/index.js'),
          import('../../diagnostics.js'),
          import('../../report/stylish.js'),
        ]);
      const overrides = await parseRuleLevels(flags.rule);
      const { findings } = await checkTopology(file, { strict: flags.strict, overrides });
      // ESLint's --quiet: errors only in the report; warnings are still counted against --max-warnings.
      const shown = flags.quiet ? findings.filter((f) => f.severity === 'error') : findings;
      const input = { findings: shown, rules: catalogue, cwd: process.cwd() };
      const version = versionOf(command);
      if (flags.outputFile === undefined) {
        process.stdout.write(formatFindings(flags.format, input, { color: useColor(command), version }));
      } else {
        const { writeFile } = await import('node:fs/promises');
        const report = formatFindings(flags.format, input, { color: false, version });
        await attempt(writeFile(flags.outputFile, report), {
          doing: `cannot write the report to ${flags.outputFile}`,
          path: '--output-file',
        });
        const summary = summaryLine(shown, { color: useColor(command) });
        process.stdout.write(`${summary} (${flags.format} report in ${flags.outputFile})\n`);
      }
      const counts = countBySeverity(findings);
      if (counts.error > 0) throw new ProblemsError();
      if (flags.maxWarnings !== undefined && counts.warning > flags.maxWarnings) {
        throw new ProblemsError(`too many warnings: ${counts.warning}, maximum ${flags.maxWarnings} (--max-warnings)`);
      }
    });
}

/** `--rule id=level`, checked against the registry here, so the message can name the flag. */
export async function parseRuleLevels(specs: readonly string[]): Promise<Map<string, RuleLevel>> {
  const [{ rules, loaderChecks }, { didYouMean }] = await Promise.all([
    import('../../lint/index.js'),
    import('../../topology/did-you-mean.js'),
  ]);
  const levels = new Map<string, RuleLevel>();
  for (const spec of specs) {
    const [, id = '', word = ''] = /^([^=]*)=(.*)$/.exec(spec.trim()) ?? [];
    const level = ruleLevel(word.trim().toLowerCase());
    if (!id || !level)
      throw new UsageError(`--rule takes id=level with level off, info, warning (or warn) or error, not "${spec}"`);
    if (loaderChecks.has(id))
      throw new UsageError(`--rule: "${id}" is a check of the input, always on; --rule sets lint rules only`);
    if (!rules.has(id))
      throw new UsageError(`--rule: unknown rule "${id}"${didYouMean(id, rules.keys())}; \`mxplan rules\` lists them`);
    levels.set(id, level);
  }
  return levels;
}
