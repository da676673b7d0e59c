import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { attempt } from '../failure.js';
import { carryOnWhenOutputCloses } from '../io.js';
import { ListenError } from '../../dns/server.js';
import { addLabOptions, labChoice, type LabFlags } from '../lab-options.js';
import { integerOption, parseInteger, parseListen, type Listen } from '../options.js';
import { planForOutput } from '../plan-gate.js';
import { waitForSignal } from '../signals.js';
import { UsageError } from '../../errors.js';

interface SandboxFlags extends LabFlags {
  state: string;
  profile: 'fast' | 'default';
  dnsPort: number;
  ports?: string;
  ui?: Listen;
  force?: boolean;
  cleanup?: boolean;
}

/** --ports: a base port, or a file (from the working directory). */
const portChoice = (option: string) =>
  /^\d+$/.test(option) ? { base: parseInteger('--ports', option, 1, 65535) } : { file: resolve(option) };

export function register(program: Command): void {
  const command = program
    .command('sandbox')
    .description('run the plan on loopback: the DNS responder and one SMTP relay per planned host')
    .argument('[topology]', 'topology file (YAML or JSON), or - for standard input (then no control lines)')
    .option(
      '--state <dir>',
      'Maildirs, queues, endpoints.json and ports.json live here; restarting on it resumes the queues on the same ports',
      '.mxplan-sandbox',
    )
    .addOption(
      new Option('--profile <name>', 'retry timing: fast (seconds, for trying things) or default (minutes to days)')
        .choices(['fast', 'default'])
        .default('fast'),
    )
    .addOption(integerOption('--dns-port <port>', 'port of the DNS responder on 127.0.0.1 (0 picks one)', 0, 65535, 0))
    .option(
      '--ports <base|file>',
      'stable ports: a base port (DNS base+3, dashboard base+8; host n in base+10n..base+10n+9: SMTP +5, submission +7, IMAP +3, POP3 +0; web hosts HTTPS +3 in the blocks after) or a JSON file like <state>/ports.json',
    )
    .addOption(
      new Option(
        '--ui [address]',
        'serve the dashboard on loopback ([address][:port]; default 127.0.0.1, any port)',
      ).argParser((text: string) => parseListen('--ui', text)),
    )
    .option('--force', 'start even when the topology has error-level findings');
  addLabOptions(command)
    .option(
      '--cleanup',
      'with --lab: remove what labs whose process is gone left behind (namespaces, daemons), then exit',
    )
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C or SIGTERM. Everything listens on 127.0.0.1; see <state>/endpoints.json.\n' +
        'Type "help" for the control commands; with --ui, scripts drive it through the dashboard\'s API (docs/dashboard.md).\n' +
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
        if (flags.ports !== undefined)
          throw new UsageError('--ports does not go with --lab: its hosts listen on port 25');
        return runLab(file, plan, resolve(flags.state), { ...lab, profile: flags.profile }, flags.ui);
      }
      const [{ startSandbox }, { hostTable, eventLine }, { runControl, completeControl }, ports, { createInterface }] =
        await Promise.all([
          import('../../sandbox/sandbox.js'),
          import('../../sandbox/format.js'),
          import('../../sandbox/control.js'),
          import('../../sandbox/ports.js'),
          import('node:readline'),
        ]);
      const stateDir = resolve(flags.state);
      const choice = flags.ports === undefined ? undefined : portChoice(flags.ports);
      const kept = await attempt(ports.portsToUse(plan, stateDir, choice), {
        path: choice ? '--ports' : '--state',
        doing: 'cannot read the ports to use',
      });
      const dnsPort = command.getOptionValueSource('dnsPort') === 'cli' ? flags.dnsPort : (kept?.dns ?? flags.dnsPort);

      const interactive = file !== '-' && process.stdin.isTTY === true;
      /** The control lines' reader, once there is one. */
      const control: { lines?: ReturnType<typeof createInterface> } = {};
      /** Prints above the prompt on a terminal, so that the line being typed is not broken. */
      const print = (text: string) => {
        if (!control.lines || !interactive) return void process.stdout.write(`${text}\n`);
        process.stdout.write(`\r\x1b[2K${text}\n`);
        control.lines.prompt(true);
      };
      const sandbox = await attempt(
        startSandbox({
          plan,
          stateDir,
          profile: flags.profile,
          dnsPort,
          ...(kept && { ports: kept.hosts, ...(kept.web && { webPorts: kept.web }) }),
          log: (event) => print(eventLine(event)),
        }).catch((error: Error) =>
          // The DNS port is --dns-port's; a host's port, --ports'.
          attempt(Promise.reject(error), { port: error instanceof ListenError ? '--dns-port' : '--ports' }),
        ),
        { path: '--state', doing: `cannot use ${stateDir} as the state directory` },
      );
      let dashboard: Awaited<ReturnType<(typeof import('../../dashboard/server.js'))['startDashboard']>> | undefined;
      try {
        if (flags.ui) {
          const { startDashboard } = await import('../../dashboard/server.js');
          dashboard = await attempt(
            startDashboard({ engine: sandbox, address: flags.ui.address, port: flags.ui.port ?? kept?.ui ?? 0 }),
            { port: '--ui', doing: 'cannot start the dashboard' },
          );
        }
        await ports.keepPorts(
          stateDir,
          { dns: sandbox.dns.port, ui: dashboard?.port, hosts: sandbox.hosts.values(), web: sandbox.web.values() },
          kept,
        );
      } catch (error) {
        await dashboard?.close();
        await sandbox.close();
        throw error;
      }
      // Listening for the signal before saying how to send it: a signal that came before the
      // listener would end the process by its default action, without closing anything.
      const signalled = waitForSignal();
      const usage =
        file === '-'
          ? 'standard input held the topology, so no control lines; Ctrl-C stops'
          : 'type "help" for the commands ("down <host>", "up <host>", "queue <host>", "route <address>", ...); Ctrl-C stops';
      process.stdout.write(
        `\n${hostTable(sandbox.hosts.values(), sandbox.dns, sandbox.web.values())}\nstate: ${stateDir} (endpoints.json, ports.json)\n` +
          (dashboard ? `dashboard: ${dashboard.url}\n` : '') +
          `${usage}\n\n`,
      );
      // Control lines from stdin, one at a time, in order (an `up` must not overtake its `down`).
      // On a terminal: line editing, history and completion of commands and host names.
      const lines = (control.lines = createInterface({
        input: process.stdin,
        ...(interactive && {
          output: process.stdout,
          terminal: true,
          prompt: 'mxplan> ',
          historySize: 500,
          completer: (line: string) => completeControl(sandbox, line),
        }),
        ...(!interactive && { terminal: false }),
      }));
      let pending = Promise.resolve();
      lines.on('line', (line) => {
        pending = pending.then(async () => {
          const answer = await runControl(sandbox, line).catch((error: Error) => `error: ${error.message}`);
          if (answer) print(answer);
          else if (interactive) lines.prompt();
        });
      });
      if (interactive) {
        // readline takes Ctrl-C (and Ctrl-D closes it) on a terminal: both stop the sandbox, as documented.
        lines.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
        lines.on('close', () => process.kill(process.pid, 'SIGINT'));
        lines.prompt();
      }
      const signal = await signalled;
      lines.removeAllListeners('close');
      lines.close();
      await pending;
      await dashboard?.close();
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
  ui: Listen | undefined,
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
  // The dashboard reads the lab through the engine contract alone, as it reads the sandbox; it
  // listens on the machine's loopback, outside the lab's namespaces.
  let dashboard: Awaited<ReturnType<(typeof import('../../dashboard/server.js'))['startDashboard']>> | undefined;
  if (ui) {
    const { startDashboard } = await import('../../dashboard/server.js');
    dashboard = await attempt(
      startDashboard({ engine: lab, address: ui.address, port: ui.port ?? 0 }).catch(async (error: unknown) => {
        await lab.close();
        throw error;
      }),
      { port: '--ui', doing: 'cannot start the dashboard' },
    );
  }
  const control =
    file === '-'
      ? 'standard input held the topology, so no control lines; Ctrl-C stops'
      : 'type "down <host>", "cut <host>", "up <host>", "retry" or "status"; Ctrl-C stops';
  const signalled = waitForSignal(); // before the banner says how to send it (see above)
  process.stdout.write(
    `\n${labTable(lab)}state: ${stateDir} (endpoints.json, lab.json)\n` +
      (dashboard ? `dashboard: ${dashboard.url}\n` : '') +
      `${control}\n\n`,
  );
  const lines = createInterface({ input: process.stdin, terminal: false });
  let pending = Promise.resolve();
  lines.on('line', (line) => {
    pending = pending.then(async () => {
      const answer = await runControl(lab, line).catch((error: Error) => `error: ${error.message}`);
      if (answer) process.stdout.write(`${answer}\n`);
    });
  });
  const signal = await signalled;
  lines.close();
  await pending;
  await dashboard?.close();
  await lab.close();
  process.stdout.write(
    `mxplan: ${signal}: lab stopped, its namespaces removed; queues and Maildirs stay in ${stateDir}\n`,
  );
}
