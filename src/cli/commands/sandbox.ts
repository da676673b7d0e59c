import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { planForOutput } from '../plan-gate.js';
import { setExitCode } from '../program.js';
import { waitForSignal } from '../signals.js';

interface SandboxFlags {
  state: string;
  profile: 'fast' | 'default';
  dnsPort: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('sandbox')
    .description('run the plan on loopback: the DNS responder and one SMTP relay per planned host')
    .argument('<topology>', 'topology file (YAML or JSON)')
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
    .option('--dns-port <port>', 'port of the DNS responder on 127.0.0.1 (0 picks one)', '0')
    .option('--force', 'start even when the topology has error-level findings')
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C or SIGTERM. Everything listens on 127.0.0.1; see <state>/endpoints.json.',
    )
    .action(async (file: string, flags: SandboxFlags, command: Command) => {
      const dnsPort = Number(flags.dnsPort);
      if (!/^\d+$/.test(flags.dnsPort) || dnsPort > 65535)
        throw new UsageError(`--dns-port takes 0-65535, not "${flags.dnsPort}"`);
      const plan = await planForOutput(file, {
        force: flags.force === true,
        command,
        refusal: 'the sandbox was not started',
      });
      if (!plan) return setExitCode(command, 1);
      const [{ startSandbox }, { hostTable, eventLine }, { runControl }, { createInterface }] = await Promise.all([
        import('../../sandbox/sandbox.js'),
        import('../../sandbox/format.js'),
        import('../../sandbox/control.js'),
        import('node:readline'),
      ]);
      const stateDir = resolve(flags.state);
      const sandbox = await startSandbox({
        plan,
        stateDir,
        profile: flags.profile,
        dnsPort,
        log: (event) => process.stdout.write(`${eventLine(event)}\n`),
      });
      process.stdout.write(
        `\n${hostTable(sandbox.hosts.values(), sandbox.dns)}\nstate: ${stateDir} (endpoints.json)\n` +
          'type "down <host>", "cut <host>", "up <host>", "retry" or "status"; Ctrl-C stops\n\n',
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
      setExitCode(command, 0);
    });
}
