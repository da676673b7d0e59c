import { Option, type Command } from 'commander';
import type { Endpoint } from '../../dns/client.js';
import type { DriftTarget } from '../../dns/drift.js';
import { ProblemsError, UsageError } from '../../errors.js';
import { canonicalIP, familyOf } from '../../topology/ip.js';
import type { Plan } from '../../topology/types.js';
import { useColor, versionOf } from '../io.js';
import { integerOption } from '../options.js';
import { planForOutput } from '../plan-gate.js';

interface DriftFlags {
  server: Endpoint[];
  format: string;
  timeout: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('drift')
    .description('check that name servers serve exactly the records the plan derives (AXFR, else one query per RRset)')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .addOption(
      new Option(
        '--server <address[:port]>',
        'a name server to check (repeatable; [::1]:5300 for IPv6; default: every planned name server at its planned addresses, port 53)',
      )
        .argParser(collectServer)
        .default([], 'the planned name servers'),
    )
    .addOption(
      new Option('-f, --format <format>', 'output format (as lint)')
        .choices(['stylish', 'json', 'sarif', 'github'])
        .default('stylish'),
    )
    .addOption(integerOption('--timeout <ms>', 'how long to wait for each answer', 1, undefined, 2000))
    .option('--force', 'check even when the topology has error-level findings')
    .addHelpText('after', '\nExit codes: 0 no drift; 1 drift (or a plan with errors); 2 cannot run.')
    .action(async (file: string, flags: DriftFlags, command: Command) => {
      const { timeout } = flags;
      const plan = await planForOutput(file, { force: flags.force === true, command, refusal: 'no server was asked' });

      const [{ deriveZones }, { checkDrift, DRIFT_RULE }, { formatFindings }, { sortFindings }] = await Promise.all([
        import('../../dns/derive.js'),
        import('../../dns/drift.js'),
        import('../../report/index.js'),
        import('../../diagnostics.js'),
      ]);
      const targets = flags.server.length > 0 ? flags.server.map(labelled) : plannedServers(plan);
      if (targets.length === 0) throw new UsageError('the plan names no name server address: give --server');
      const { findings, readings } = await checkDrift(deriveZones(plan), targets, { timeout });
      for (const target of targets) {
        const mine = readings.filter((r) => r.target === target.label);
        const by = (method: string) => mine.filter((r) => r.method === method).length;
        process.stderr.write(
          `${target.label}: ${by('axfr')} zones by AXFR, ${by('query')} by query, ${by('none')} not served\n`,
        );
      }
      process.stdout.write(
        formatFindings(
          flags.format as 'stylish',
          { findings: sortFindings(findings), rules: new Map([[DRIFT_RULE.id, DRIFT_RULE]]), cwd: process.cwd() },
          { color: useColor(command), version: versionOf(command) },
        ),
      );
      if (findings.length > 0) throw new ProblemsError();
    });
}

/** The planned name servers at their planned addresses: what a machine that can reach them checks. */
export function plannedServers(plan: Plan): DriftTarget[] {
  return plan.nameservers.flatMap((ns) =>
    [...ns.ipv4, ...ns.ipv6].map((address) => ({ label: `${ns.name} (${address})`, endpoint: { address, port: 53 } })),
  );
}

function labelled(endpoint: Endpoint): DriftTarget {
  const host = familyOf(endpoint.address) === 6 ? `[${endpoint.address}]` : endpoint.address;
  return { label: `${host}:${endpoint.port}`, endpoint };
}

/** `192.0.2.1`, `192.0.2.1:5300`, `2001:db8::1`, `[2001:db8::1]:5300`; addresses only, never names. */
export function parseServer(text: string): Endpoint {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text) ?? [text, text, undefined];
  const address = m[1];
  const port = m[2] === undefined ? 53 : Number(m[2]);
  if (familyOf(address) === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(
      `--server takes an IP address with an optional port (192.0.2.53:5300, [::1]:5300), not "${text}"`,
    );
  return { address: familyOf(address) === 6 ? canonicalIP(address) : address, port };
}

function collectServer(value: string, previous: Endpoint[]): Endpoint[] {
  return [...previous, parseServer(value)];
}
