import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { RuleLevel } from '../../topology/types.js';
import { setExitCode, useColor } from '../program.js';

interface LintFlags {
  format: string;
  strict?: boolean;
  rule: string[];
  maxWarnings?: string;
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check a topology for every mistake that would lose, bounce or misroute mail')
    .argument('<topology>', 'topology file (YAML or JSON)')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['stylish', 'json', 'sarif', 'github'])
        .default('stylish'),
    )
    .option('--strict', 'also run the strict rule set')
    .option('-r, --rule <id=level>', 'set a rule to off, info, warn or error (repeatable)', collect, [])
    .option('--max-warnings <n>', 'exit 1 when there are more warnings than this')
    .action(async (file: string, flags: LintFlags, command: Command) => {
      const [{ checkTopology, ruleInfos }, { formatFindings }, { countBySeverity }] = await Promise.all([
        import('../../lint/check.js'),
        import('../../report/index.js'),
        import('../../diagnostics.js'),
      ]);
      const maxWarnings = flags.maxWarnings === undefined ? Infinity : parseCount(flags.maxWarnings, '--max-warnings');
      const { findings } = await checkTopology(file, { strict: flags.strict, overrides: parseRuleLevels(flags.rule) });
      process.stdout.write(
        formatFindings(
          flags.format as 'stylish',
          { findings, rules: ruleInfos(), cwd: process.cwd() },
          { color: useColor(command), version: program.version() ?? '' },
        ),
      );
      const counts = countBySeverity(findings);
      setExitCode(command, counts.error > 0 || counts.warning > maxWarnings ? 1 : 0);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number, not "${text}"`);
  return n;
}

export function parseRuleLevels(specs: readonly string[]): Map<string, RuleLevel> {
  const levels = new Map<string, RuleLevel>();
  for (const spec of specs) {
    const m = /^([a-z0-9-]+)=(off|info|warn|error)$/.exec(spec.trim());
    if (!m) throw new UsageError(`--rule takes id=level with level off, info, warn or error, not "${spec}"`);
    levels.set(m[1]!, m[2] as RuleLevel);
  }
  return levels;
}
