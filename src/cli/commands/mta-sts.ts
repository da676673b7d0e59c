import type { Command } from 'commander';
import { count as counted } from '../../words.js';
import { attempt } from '../failure.js';
import { planForOutput } from '../plan-gate.js';

interface MtaStsFlags {
  out: string;
  force?: boolean;
}

/**
 * A command of its own rather than a part of `mxplan zones`: the policies go to a web server,
 * not to the name servers, and must be deployed before the zones that carry their new ids
 * (RFC 8461 §3.1: a sender that sees a new id fetches the policy at once).
 */
export function register(program: Command): void {
  program
    .command('mta-sts')
    .description(
      'write the MTA-STS policy file of every domain that publishes one (mta-sts.<domain>.txt, served as https://mta-sts.<domain>/.well-known/mta-sts.txt)',
    )
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .requiredOption('-o, --out <dir>', 'output directory (replaced as a whole; mxplan refuses one holding other files)')
    .option('--force', 'write the policies even when the topology has error-level findings')
    .action(async (file: string, flags: MtaStsFlags, command: Command) => {
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'no policies were written',
      });
      const { writePolicyDirectory } = await import('../../tls/policy-dir.js');
      const result = await attempt(writePolicyDirectory(plan, flags.out), {
        path: '--out',
        doing: `cannot write the MTA-STS policies to ${flags.out}`,
      });
      const count = (status: string) => result.policies.filter((p) => p.status === status).length;
      const parts = [`${count('new')} new`, `${count('changed')} changed`, `${count('unchanged')} unchanged`];
      if (result.removed.length > 0) parts.push(`${result.removed.length} removed`);
      const verb = result.written ? 'wrote' : 'kept (nothing changed)';
      process.stdout.write(
        `${verb} ${counted(result.policies.length, 'MTA-STS policy', 'MTA-STS policies')} in ${result.out}: ${parts.join(', ')}\n`,
      );
    });
}
