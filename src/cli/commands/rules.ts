import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { useColor } from '../io.js';

export function register(program: Command): void {
  program
    .command('rules')
    .description('list the lint rules and the checks of the input, or explain one')
    .argument('[id]', 'a rule id: print its documentation (its section of docs/rules.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (id: string | undefined, flags: { format: 'text' | 'json' }, command: Command) => {
      const [{ catalogue, rules }, { ruleSection }, { Chalk }, { didYouMean }, { ruleDocUrl }] = await Promise.all([
        import('../../lint/index.js'),
        import('../../lint/docs.js'),
        import('chalk'),
        import('../../topology/did-you-mean.js'),
        import('../../diagnostics.js'),
      ]);
      if (id !== undefined && !catalogue.has(id))
        throw new UsageError(`unknown rule "${id}"${didYouMean(id, catalogue.keys())}`);
      const listed = id === undefined ? [...catalogue.values()] : [catalogue.get(id)!];
      if (flags.format === 'json') {
        // A lint rule with all its metadata; a check of the input with what it has.
        const entries = listed.map((info) => rules.get(info.id)?.meta ?? { ...info, category: 'input', sets: [] });
        process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
        return;
      }
      if (id !== undefined) {
        process.stdout.write(ruleSection(id));
        // The page also shows a failing and a passing topology for each rule, from its tests.
        if (rules.has(id)) process.stdout.write(`Examples: ${ruleDocUrl(id)}\n`);
        return;
      }
      const c = new Chalk({ level: useColor(command) ? 1 : 0 });
      const width = Math.max(...listed.map((m) => m.id.length));
      for (const info of listed) {
        const sets = rules.get(info.id)?.meta.sets;
        const note = !sets
          ? c.dim(' (input check, always on)')
          : sets.includes('recommended')
            ? ''
            : c.dim(' (strict)');
        process.stdout.write(`${info.id.padEnd(width)}  ${info.severity.padEnd(7)}  ${info.description}${note}\n`);
      }
    });
}
