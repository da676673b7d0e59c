import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { attempt } from '../failure.js';
import { carryOnWhenOutputCloses } from '../io.js';
import { integerOption } from '../options.js';
import { planForOutput } from '../plan-gate.js';
import { waitForSignal } from '../signals.js';

interface SandboxFlags {
  state: string;
  profile: 'fast' | 'default';
  dnsPort: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('sandbox')
    .description('run the plan on loopback: the DNS responder and one SMTP relay per planned host')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input (then no control lines)')
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
    .option('--force', 'start even when the topology has error-level findings')
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C or SIGTERM. Everything listens on 127.0.0.1; see <state>/endpoints.json.',
    )
    .action(async (file: string, flags: SandboxFlags, command: Command) => {
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'the sandbox was not started',
      });
      // A server: when whoever reads its event log goes away, the sandbox goes on serving.
      carryOnWhenOutputCloses();
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
