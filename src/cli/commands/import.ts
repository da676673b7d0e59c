import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { attempt } from '../failure.js';

interface ImportFlags {
  zone: string[];
  out?: string;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('write a draft topology from existing zone files (users and aliases are not in DNS: add them)')
    .requiredOption(
      '--zone <file...>',
      'zone files (RFC 1035 master format); ORIGIN=FILE names the zone when the file has no $ORIGIN',
    )
    .option('-o, --out <file>', 'write the draft here instead of stdout')
    .addHelpText(
      'after',
      '\nWithout $ORIGIN or ORIGIN=, the origin is the file name less .zone or .db (a guess, noted in the YAML).\n' +
        'Exit codes: 0 written; 2 a zone file cannot be read or parsed (file:line:column).',
    )
    .action(async (flags: ImportFlags) => {
      const [{ readZoneFiles }, { draftTopology }, { draftYaml }, { writeFile }] = await Promise.all([
        import('../../import/read.js'),
        import('../../import/draft.js'),
        import('../../import/yaml.js'),
        import('node:fs/promises'),
      ]);
      if (flags.zone.length === 0) throw new UsageError('--zone takes at least one file');
      const { zones, guessed } = await readZoneFiles(flags.zone);
      const yaml = draftYaml(
        draftTopology(zones, guessed),
        zones.map((z) => z.file),
      );
      if (flags.out) await attempt(writeFile(flags.out, yaml), { path: '--out', doing: `cannot write ${flags.out}` });
      else process.stdout.write(yaml);
    });
}
