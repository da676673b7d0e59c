import { Option, type Command } from 'commander';
import { serialOption } from '../options.js';
import { planForOutput } from '../plan-gate.js';

interface RecordsFlags {
  format: 'text' | 'json';
  serial?: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('records')
    .description('print every DNS record the plan publishes: the data behind the zone files and the responder')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .addOption(
      new Option('-f, --format <format>', 'text: one record per line, as in a zone file; json: an array of records')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(serialOption('SOA serial (default: YYYYMMDD00 of today, as a new zone gets)'))
    .option('--force', 'print records even when the topology has error-level findings')
    .action(async (file: string, flags: RecordsFlags, command: Command) => {
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'no records were printed',
      });

      const [{ deriveZones }, { dateSerial }, { recordLine, recordObjects }] = await Promise.all([
        import('../../dns/derive.js'),
        import('../../dns/serial.js'),
        import('../../dns/presentation.js'),
      ]);
      const zones = deriveZones(plan, { serial: flags.serial ?? dateSerial(new Date()) });
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(recordObjects(zones), null, 2)}\n`);
      } else {
        process.stdout.write(zones.flatMap((zone) => zone.records.map(recordLine)).join('\n') + '\n');
      }
    });
}
