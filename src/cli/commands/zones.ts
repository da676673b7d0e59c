import { Option, type Command } from 'commander';
import { SERVERS, type Server } from '../../dns/server-config.js';
import { UsageError } from '../../errors.js';
import { attempt } from '../failure.js';
import { serialOption } from '../options.js';
import { planForOutput } from '../plan-gate.js';

interface ZonesFlags {
  out: string;
  serial?: number;
  server: Server[];
  zoneDir?: string;
  force?: boolean;
  allowSerialDecrease?: boolean;
}

export function register(program: Command): void {
  program
    .command('zones')
    .description('write one RFC 1035 zone file per managed zone, and server configs that load them')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .requiredOption('-o, --out <dir>', 'output directory (replaced as a whole; mxplan refuses one holding other files)')
    .addOption(
      serialOption('SOA serial of every zone (default: YYYYMMDDnn, raised only for zones whose content changed)'),
    )
    .option(
      '--allow-serial-decrease',
      'let --serial lower the serial of zones already in --out (or keep it on changed zones); their secondaries then keep the old data',
    )
    .addOption(
      new Option(
        '--server <names>',
        `also write zone stanzas for these servers: ${SERVERS.join(', ')} (comma-separated or repeated)`,
      )
        .argParser(collectServers)
        .default([], 'none'),
    )
    .option(
      '--zone-dir <path>',
      'directory the servers read the zone files from, for their configs (default: --out, absolute)',
    )
    .option('--force', 'write zones even when the topology has error-level findings')
    .action(async (file: string, flags: ZonesFlags, command: Command) => {
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'no zones were written',
      });

      const [{ deriveZones }, { writeZoneDirectory, SerialRegressionError }] = await Promise.all([
        import('../../dns/derive.js'),
        import('../../dns/zone-dir.js'),
      ]);
      const result = await attempt(
        writeZoneDirectory(deriveZones(plan), {
          out: flags.out,
          serial: flags.serial,
          allowSerialDecrease: flags.allowSerialDecrease === true,
          servers: flags.server,
          zoneDirectory: flags.zoneDir,
        }),
        { path: '--out', doing: `cannot write the zones to ${flags.out}` },
      ).catch((error: unknown) => {
        if (error instanceof SerialRegressionError)
          throw new UsageError(`${error.message} (--allow-serial-decrease writes it anyway)`, { cause: error });
        throw error;
      });
      process.stdout.write(summary(result));
    });
}

function collectServers(value: string, previous: Server[]): Server[] {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of names) {
    if (!(SERVERS as readonly string[]).includes(name))
      throw new UsageError(`--server takes ${SERVERS.join(', ')}, not "${name}"`);
  }
  return [...new Set([...previous, ...(names as Server[])])];
}

function summary(result: import('../../dns/zone-dir.js').WriteZonesResult): string {
  const count = (status: string) => result.zones.filter((z) => z.status === status).length;
  const parts = [`${count('new')} new`, `${count('changed')} changed`, `${count('unchanged')} unchanged`];
  if (result.removed.length > 0) parts.push(`${result.removed.length} removed`);
  const configs = result.configs.length > 0 ? `, with ${result.configs.join(', ')}` : '';
  const verb = result.written ? 'wrote' : 'kept (nothing changed)';
  return `${verb} ${result.zones.length} zones in ${result.out}${configs}: ${parts.join(', ')}\n`;
}
