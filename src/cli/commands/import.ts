import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { attempt } from '../failure.js';

interface ImportFlags {
  zone?: string[];
  postfix?: string[];
  dovecot?: string[];
  out?: string;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('write a draft topology from existing zone files and mail server configuration')
    .option(
      '--zone <file...>',
      'zone files (RFC 1035 master format); ORIGIN=FILE names the zone when the file has no $ORIGIN',
    )
    .option(
      '--postfix <dir...>',
      'Postfix configuration: a copy of /etc/postfix, a host directory as mxplan mta writes it, or the top of such a tree',
    )
    .option(
      '--dovecot <dir...>',
      'Dovecot configuration of the stores, in the order of their Postfix directories (default: a dovecot/ beside each)',
    )
    .option('-o, --out <file>', 'write the draft here instead of stdout')
    .addHelpText(
      'after',
      '\nWithout $ORIGIN or ORIGIN=, the origin is the file name less .zone or .db (a guess, noted in the YAML).\n' +
        'Exit codes: 0 written; 2 a file cannot be read or parsed (file:line).',
    )
    .action(async (flags: ImportFlags) => {
      const zoneFiles = flags.zone ?? [];
      const postfix = flags.postfix ?? [];
      if (zoneFiles.length + postfix.length === 0)
        throw new UsageError('import takes --zone files, --postfix directories, or both');
      const [{ readZoneFiles }, { draftTopology }, { draftYaml }, { writeFile }, mail] = await Promise.all([
        import('../../import/read.js'),
        import('../../import/draft.js'),
        import('../../import/yaml.js'),
        import('node:fs/promises'),
        import('../../import/mail-host.js'),
      ]);
      const dirs = (
        await Promise.all(postfix.map(async (d) => ({ given: d, found: await mail.postfixDirs(d) })))
      ).flatMap(({ given, found }) => {
        if (found.length === 0)
          throw new UsageError(
            `--postfix ${given}: no main.cf there, nor in ${given}/postfix or ${given}/<host>/postfix`,
          );
        return found;
      });
      const dovecot = flags.dovecot ?? [];
      if (dovecot.length > 0 && dovecot.length !== dirs.length)
        throw new UsageError(
          `--dovecot names ${dovecot.length} directories for ${dirs.length} Postfix directories: give one per host, in the same order`,
        );
      const hosts = await Promise.all(dirs.map((dir, i) => mail.readMailHost(dir, dovecot[i])));
      const { zones, guessed } = await readZoneFiles(zoneFiles);
      const known = new Map(
        hosts.flatMap((h) => (h.fqdn && h.role ? [[h.fqdn, { id: h.id, role: h.role }] as const] : [])),
      );
      let draft = draftTopology(zones, guessed, known);
      if (hosts.length > 0)
        draft = (await import('../../import/mail-draft.js')).addMailHosts(draft, hosts, zones.length > 0);
      const yaml = draftYaml(draft, [...zones.map((z) => z.file), ...postfix]);
      if (flags.out) await attempt(writeFile(flags.out, yaml), { path: '--out', doing: `cannot write ${flags.out}` });
      else process.stdout.write(yaml);
    });
}
