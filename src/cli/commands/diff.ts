import { Option, type Command } from 'commander';
import { ProblemsError, UsageError } from '../../errors.js';
import { parseDuration } from '../../topology/units.js';
import { integerOption } from '../options.js';
import { planForOutput } from '../plan-gate.js';

interface DiffFlags {
  format: 'text' | 'json' | 'markdown';
  mta: 'diff' | 'summary';
  exitCode?: boolean;
  lowTtl: number;
  retireWithin?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('diff')
    .description(
      'what changes from one plan to the next, in records and in plan terms, and the order that deploys it safely',
    )
    .argument('<old>', 'the plan in force (YAML or JSON)')
    .argument('<new>', 'the plan to move to')
    .addOption(
      new Option('-f, --format <format>', 'markdown suits a pull-request comment')
        .choices(['text', 'json', 'markdown'])
        .default('text'),
    )
    .addOption(
      new Option('--mta <detail>', "each host's changed MTA files as a unified diff, or a line each")
        .choices(['diff', 'summary'])
        .default('diff'),
    )
    .option('--exit-code', 'exit 1 when there are changes, as git diff --exit-code does')
    // RFC 2181 §8: a TTL is at most 2^31 - 1 seconds.
    .addOption(
      integerOption('--low-ttl <seconds>', 'the TTL records that will change are lowered to first', 0, 2147483647, 300),
    )
    .option(
      '--retire-within <duration>',
      'how long a retired host can stay up after the final records are published (5d, 12h); unsafe when the order needs longer',
    )
    .option('--force', 'diff even when the new plan has error-level findings')
    .addHelpText(
      'after',
      '\nExit codes: 0 no changes (or changes without --exit-code); 1 unsafe changes, changes with --exit-code,\n' +
        'or a new plan with error-level findings; 2 cannot run.',
    )
    .action(async (oldFile: string, newFile: string, flags: DiffFlags, command: Command) => {
      const { lowTtl } = flags;
      const retireWithin = flags.retireWithin === undefined ? undefined : parseSpan(flags.retireWithin);
      // The plan in force is what it is: its findings are shown, they do not stop the diff.
      const before = await planForOutput(oldFile, { force: true, command, refusal: 'no diff was made' });
      const after = await planForOutput(newFile, {
        force: flags.force === true,
        command,
        refusal: 'no diff was made',
      });

      const [{ diffPlans, hasChanges, isUnsafe }, { formatDiff }] = await Promise.all([
        import('../../change/diff.js'),
        import('../../change/format.js'),
      ]);
      const diff = diffPlans(before, after, { lowTtl, retireWithin });
      process.stdout.write(formatDiff(diff, flags.format, { cwd: process.cwd(), mta: flags.mta }));
      if (isUnsafe(diff)) throw new ProblemsError('the change cannot be made safely (see above)');
      if (flags.exitCode === true && hasChanges(diff)) throw new ProblemsError();
    });
}

function parseSpan(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new UsageError(`--retire-within takes a duration (90m, 12h, 5d), not "${text}"`);
  return seconds;
}
