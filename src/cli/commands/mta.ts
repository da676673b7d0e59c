import type { Command } from 'commander';
import { attempt } from '../failure.js';
import { planForOutput } from '../plan-gate.js';

interface MtaFlags {
  out: string;
  passwords?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('mta')
    .description(
      'write Postfix and Dovecot configuration for every planned host (DIR/<host>/postfix, DIR/<host>/dovecot)',
    )
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .requiredOption('-o, --out <dir>', 'output directory (replaced as a whole; mxplan refuses one holding other files)')
    .option('--passwords <file>', 'password hashes, one address:{SCHEME}hash line per user (doveadm pw)')
    .option('--force', 'write the configuration even when the topology has error-level findings')
    .action(async (file: string, flags: MtaFlags, command: Command) => {
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'no configuration was written',
      });
      const [{ writeMtaDirectory }, { readPasswords }] = await Promise.all([
        import('../../mta/mta-dir.js'),
        import('../../mta/passwords.js'),
      ]);
      const passwords =
        flags.passwords === undefined
          ? undefined
          : await attempt(readPasswords(flags.passwords, plan), { path: '--passwords' });
      const result = await attempt(writeMtaDirectory(plan, { out: flags.out, ...(passwords && { passwords }) }), {
        path: '--out',
        doing: `cannot write the configuration to ${flags.out}`,
      });
      process.stdout.write(summary(result));
    });
}

function summary(result: import('../../mta/mta-dir.js').WriteMtaResult): string {
  const hosts = result.hosts.map(
    (h) => `${h.id} (${h.role === 'store' ? `store, ${h.mailboxes} mailboxes` : 'relay'})`,
  );
  const verb = result.written ? 'wrote' : 'kept (nothing changed)';
  const removed = result.removed.length > 0 ? `; ${result.removed.length} files of an earlier plan removed` : '';
  const lines = [
    `${verb} Postfix and Dovecot configuration for ${hosts.length} hosts in ${result.out}: ${hosts.join(', ')}${removed}`,
  ];
  const withoutHash = result.hosts.reduce((n, h) => n + h.withoutHash, 0);
  if (withoutHash > 0)
    lines.push(`${withoutHash} users have no password hash and cannot log in yet (--passwords FILE)`);
  return `${lines.join('\n')}\n`;
}
