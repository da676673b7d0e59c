import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { attempt } from '../failure.js';
import { carryOnWhenOutputCloses } from '../io.js';
import { integerOption } from '../options.js';
import { addLabOptions, labChoice, type LabFlags } from '../lab-options.js';
import { planForOutput } from '../plan-gate.js';
import { waitForSignal } from '../signals.js';
import { UsageError } from '../../errors.js';

interface SandboxFlags extends LabFlags {
  state: string;
  profile: 'fast' | 'default';
  dnsPort: number;
  force?: boolean;
  cleanup?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('sandbox')
    .description('run the plan on loopback: the DNS responder and one SMTP relay per planned host')
    .argument('[topology]', 'topology file (YAML or JSON), or - for standard input (then no control lines)')
    .option(
      '--state <dir>',
      'Maildirs, queues and endpoints.json live here; restarting on it resumes the queues',
      '.mxplan-sandbox',
    )
    .addOption(
      new Option('--profile <name>', 'retry timing: fast (seconds, for trying things) or default (minutes to days)')
        .choices(['fast', 'default'])
        .default('fast'),
    )
    .addOption(integerOption('--dns-port <port>', 'port of the DNS responder on 127.0.0.1 (0 picks one)', 0, 65535, 0))
    .option('--force', 'start even when the topology has error-level findings');
  addLabOptions(command)
    .option(
      '--cleanup',
      'with --lab: remove what labs whose process is gone left behind (namespaces, daemons), then exit',
    )
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C or SIGTERM. Everything listens on 127.0.0.1; see <state>/endpoints.json.\n' +
        'With --lab, the hosts and name servers are at their planned addresses in network namespaces (docs/lab.md).',
    )
    .action(async (file: string | undefined, flags: SandboxFlags, command: Command) => {
      const lab = labChoice(flags);
      if (lab) (await import('../../lab/platform.js')).requireLabPlatform();
      if (flags.cleanup) {
        if (!lab) throw new UsageError('--cleanup goes with --lab');
        return cleanupLabs();
      }
      if (file === undefined) throw new UsageError("missing required argument 'topology'");
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'the sandbox was not started',
      });
      // A server: when whoever reads its event log goes away, the sandbox goes on serving.
      carryOnWhenOutputCloses();
      if (lab) {
        if (command.getOptionValueSource('dnsPort') === 'cli')
          throw new UsageError(
            '--dns-port does not go with --lab: the lab answers DNS on port 53 at the planned addresses',
          );
        return runLab(file, plan, resolve(flags.state), { ...lab, profile: flags.profile });
      }
      const [{ startSandbox }, { hostTable, eventLine }, { runControl }, { createInterface }] = await Promise.all([
        import('../../sandbox/sandbox.js'),
        import('../../sandbox/format.js'),
        import('../../sandbox/control.js'),
        import('node:readline'),
      ]);
      const stateDir = resolve(flags.state);
      const sandbox = await attempt(
        startSandbox({
          plan,
          stateDir,
          profile: flags.profile,
          dnsPort: flags.dnsPort,
          log: (event) => process.stdout.write(`${eventLine(event)}\n`),
        }),
        { port: '--dns-port', path: '--state', doing: `cannot use ${stateDir} as the state directory` },
      );
      const control =
        file === '-'
          ? 'standard input held the topology, so no control lines; Ctrl-C stops'
          : 'type "down <host>", "cut <host>", "up <host>", "retry" or "status"; Ctrl-C stops';
      process.stdout.write(
        `\n${hostTable(sandbox.hosts.values(), sandbox.dns)}\nstate: ${stateDir} (endpoints.json)\n${control}\n\n`,
      );
      // Control lines from stdin, one at a time, in order (an `up` must not overtake its `down`).
      const lines = createInterface({ input: process.stdin, terminal: false });
      let pending = Promise.resolve();
      lines.on('line', (line) => {
        pending = pending.then(async () => {
          const answer = await runControl(sandbox, line).catch((error: Error) => `error: ${error.message}`);
          if (answer) process.stdout.write(`${answer}\n`);
        });
      });
      const signal = await waitForSignal();
      lines.close();
      await pending;
      await sandbox.close();
      process.stdout.write(`mxplan: ${signal}: sandbox stopped; queues and Maildirs stay in ${stateDir}\n`);
    });
}

async function cleanupLabs(): Promise<void> {
  const [{ requireLabPlatform }, { removeStaleLabs }] = await Promise.all([
    import('../../lab/platform.js'),
    import('../../lab/cleanup.js'),
  ]);
  requireLabPlatform();
  const result = await removeStaleLabs();
  const running = result.running.length > 0 ? `; ${result.running.length} running lab(s) left alone` : '';
  process.stdout.write(
    result.removed.length === 0
      ? `nothing to clean up${running}\n`
      : `removed ${result.removed.length} lab(s) whose process was gone: ${result.namespaces.length} namespaces (${result.removed.join(', ')})${running}\n`,
  );
}

/** `mxplan sandbox --lab`: the lab, its table, control lines, one line per activity, until a signal. */
async function runLab(
  file: string,
  plan: import('../../topology/types.js').Plan,
  stateDir: string,
  choice: import('../../lab/lab.js').LabChoice & { profile: 'fast' | 'default' },
): Promise<void> {
  const [{ startLab }, { labTable, activityLine }, { runControl }, { createInterface }] = await Promise.all([
    import('../../lab/lab.js'),
    import('../../lab/format.js'),
    import('../../sandbox/control.js'),
    import('node:readline'),
  ]);
  const lab = await attempt(startLab({ plan, stateDir, ...choice }), {
    path: '--state',
    doing: `cannot run the lab with its state in ${stateDir}`,
  });
  lab.onActivity((activity) => process.stdout.write(`${activityLine(activity)}\n`));
  const control =
    file === '-'
      ? 'standard input held the topology, so no control lines; Ctrl-C stops'
      : 'type "down <host>", "cut <host>", "up <host>", "retry" or "status"; Ctrl-C stops';
  process.stdout.write(`\n${labTable(lab)}state: ${stateDir} (endpoints.json, lab.json)\n${control}\n\n`);
  const lines = createInterface({ input: process.stdin, terminal: false });
  let pending = Promise.resolve();
  lines.on('line', (line) => {
    pending = pending.then(async () => {
      const answer = await runControl(lab, line).catch((error: Error) => `error: ${error.message}`);
      if (answer) process.stdout.write(`${answer}\n`);
    });
  });
  const signal = await waitForSignal();
  lines.close();
  await pending;
  await lab.close();
  process.stdout.write(
    `mxplan: ${signal}: lab stopped, its namespaces removed; queues and Maildirs stay in ${stateDir}\n`,
  );
}
