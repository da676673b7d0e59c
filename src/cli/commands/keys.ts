import type { Command } from 'commander';
import { relative } from 'node:path';
import { ProblemsError } from '../../errors.js';
import { attempt } from '../failure.js';
import { useColor, versionOf } from '../io.js';

export function register(program: Command): void {
  program
    .command('keys')
    .description(
      'make each DKIM key the topology names and lacks (mode 0600, never over an existing file), then print the DKIM records',
    )
    .argument('<topology>', 'topology file (YAML or JSON); key paths are relative to it')
    .action(async (file: string, _flags: unknown, command: Command) => {
      const [
        { loadPlan },
        { generateMissingKeys },
        { deriveZones },
        { recordLine },
        { catalogue },
        { formatFindings },
      ] = await Promise.all([
        import('../../topology/load.js'),
        import('../../dkim-keys.js'),
        import('../../dns/derive.js'),
        import('../../dns/presentation.js'),
        import('../../lint/index.js'),
        import('../../report/index.js'),
      ]);
      const loaded = await loadPlan(file);
      if (!loaded.plan) {
        // Nothing can be made from a topology that does not load: say why, as lint would.
        process.stderr.write(
          formatFindings(
            'stylish',
            { findings: loaded.findings, rules: catalogue, cwd: process.cwd() },
            { color: useColor(command, process.stderr), version: versionOf(command) },
          ),
        );
        throw new ProblemsError('no keys were made');
      }
      const outcomes = await attempt(generateMissingKeys(loaded.plan), { doing: 'cannot write a DKIM key' });
      const shown = (path: string) => relative(process.cwd(), path) || path;
      for (const o of outcomes) {
        const names = o.selectors.map((s) => `${s.selector}._domainkey.${s.domain}`).join(', ');
        if (o.status === 'created')
          process.stderr.write(`created ${shown(o.file)} (${o.selectors[0]!.algorithm}) for ${names}\n`);
        if (o.status === 'skipped') process.stderr.write(`not made: ${shown(o.file)} for ${names}: ${o.why}\n`);
      }
      // The records from the plan as it now is, with the new keys read back from their files.
      const { plan } = await loadPlan(file);
      const records = deriveZones(plan!).flatMap((zone) =>
        zone.records.filter((r) => r.type === 'TXT' && /(^|\.)_domainkey\./.test(r.name)),
      );
      process.stdout.write(records.map(recordLine).join('\n') + (records.length > 0 ? '\n' : ''));
      const created = outcomes.filter((o) => o.status === 'created').length;
      process.stderr.write(
        `${created} key(s) made, ${outcomes.filter((o) => o.status === 'exists').length} already there\n`,
      );
      if (outcomes.some((o) => o.status === 'skipped')) throw new ProblemsError('some keys were not made');
    });
}
