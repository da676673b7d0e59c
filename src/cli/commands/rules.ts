import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { useColor } from '../program.js';

export function register(program: Command): void {
  program
    .command('rules')
    .description('list the lint rule catalogue, or explain one rule')
    .argument('[id]', 'a rule id: print its documentation')
    .option('--format <format>', 'text or json', 'text')
    .action(async (id: string | undefined, flags: { format: string }, command: Command) => {
      const [{ rules }, { Chalk }, { didYouMean }] = await Promise.all([
        import('../../lint/index.js'),
        import('chalk'),
        import('../../topology/did-you-mean.js'),
      ]);
      const c = new Chalk({ level: useColor(command) ? 1 : 0 });
      const metas = [...rules.values()].map((r) => r.meta);
      if (flags.format === 'json') {
        process.stdout.write(JSON.stringify(id ? metas.filter((m) => m.id === id) : metas, null, 2) + '\n');
        return;
      }
      if (id) {
        const meta = rules.get(id)?.meta;
        if (!meta) throw new UsageError(`unknown rule "${id}"${didYouMean(id, rules.keys())}`);
        process.stdout.write(
          [
            c.bold(meta.id),
            meta.description,
            '',
            `severity: ${meta.severity}    sets: ${meta.sets.join(', ') || 'none'}    category: ${meta.category}`,
            `references: ${meta.references.join(', ')}`,
            '',
            meta.rationale,
            '',
            `${c.bold('fix:')} ${meta.fix}`,
            '',
          ].join('\n'),
        );
        return;
      }
      const width = Math.max(...metas.map((m) => m.id.length));
      for (const m of metas) {
        const sets = m.sets.includes('recommended') ? '' : c.dim(' (strict)');
        process.stdout.write(`${m.id.padEnd(width)}  ${m.severity.padEnd(7)}  ${m.description}${sets}\n`);
      }
    });
}
