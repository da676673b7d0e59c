import { Option, type Command } from 'commander';
import { ProblemsError, UsageError } from '../../errors.js';
import { useColor } from '../io.js';
import { addLabOptions, labChoice, type LabFlags } from '../lab-options.js';
import { parseListen, type Listen } from '../options.js';
import { planForOutput } from '../plan-gate.js';
import { waitForSignal } from '../signals.js';
import type { EngineFactory } from '../../sandbox/engine.js';
import { isScenarioName, SCENARIO_NAMES } from '../../verify/names.js';
import { failures, formatVerify, VERIFY_FORMATS, type VerifyFormat } from '../../verify/report.js';

interface VerifyFlags extends LabFlags {
  format: VerifyFormat;
  scenario: string[];
  keep?: boolean;
  force?: boolean;
  /** --no-lint, the old name of --force (hidden, deprecated). */
  lint: boolean;
  patience: string;
  ui?: Listen;
  from?: string;
}

export function register(program: Command): void {
  const command = program
    .command('verify')
    .description('prove the plan: run it on loopback, send mail to every address, take hosts down, check every mailbox')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .addOption(new Option('-f, --format <format>', 'report format').choices(VERIFY_FORMATS).default('text'))
    .option(
      '-s, --scenario <name>',
      `run only this scenario (repeatable): ${SCENARIO_NAMES.join(', ')}`,
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--keep', 'keep the state directory (Maildirs and queues) for inspection')
    .option('--force', 'run even when the topology has error-level findings')
    .addOption(new Option('--no-lint', 'deprecated: the old name of --force').hideHelp())
    .option('--patience <seconds>', 'how long to wait for expected mail before calling it lost', '15')
    .addOption(
      new Option(
        '--ui [address]',
        'watch it in the dashboard on loopback ([address][:port]); it stays open after the report until Ctrl-C',
      ).argParser((text: string) => parseListen('--ui', text)),
    )
    .option(
      '--from <old>',
      'prove the migration from this plan: run it, send mail (some held on backups), switch every host and the DNS to <topology>, and check every message lands once, at its home under the plan in force',
    );
  addLabOptions(command)
    .addHelpText(
      'after',
      '\nWith --lab, the plan runs at its planned addresses in network namespaces (docs/lab.md).' +
        '\nExit codes: 0 every scenario passed, 1 a scenario failed (or lint errors), 2 cannot run.',
    )
    .action(async (file: string, flags: VerifyFlags, command: Command) => {
      if (flags.from !== undefined && flags.scenario.length > 0)
        throw new UsageError('--from runs the migration scenario: it takes no --scenario');
      const scenarios = flags.scenario.map((name) => {
        if (!isScenarioName(name)) throw new UsageError(`--scenario takes ${SCENARIO_NAMES.join(', ')}, not "${name}"`);
        return name;
      });
      const lab = labChoice(flags);
      if (lab) (await import('../../lab/platform.js')).requireLabPlatform();
      const patience = Number(flags.patience);
      if (!(patience > 0)) throw new UsageError(`--patience takes a number of seconds, not "${flags.patience}"`);
      // --force, as everywhere else. --no-lint named it first: it still works, with a word, because
      // scripts written from the README of 0.1.0 use it; lint runs and reports either way.
      if (!flags.lint) process.stderr.write('mxplan: --no-lint is deprecated: use --force\n');
      const plan = await planForOutput(file, {
        force: flags.force === true || !flags.lint,
        command,
        refusal: 'the plan was not verified',
      });
      // The plan in force is what it is: its findings are shown, they do not stop the proof.
      const from =
        flags.from === undefined
          ? undefined
          : await planForOutput(flags.from, { force: true, command, refusal: 'the migration was not verified' });

      // The sandbox and the relays load only when verify runs.
      const [{ verifyPlan, removeStateDir }, { Progress }, baseEngine, labs] = await Promise.all([
        import('../../verify/run.js'),
        import('../../verify/progress.js'),
        lab
          ? import('../../lab/lab.js').then((m) => m.labEngine(lab))
          : import('../../sandbox/sandbox.js').then((m) => m.builtinEngine),
        lab ? import('../../lab/lab.js') : undefined,
      ]);
      // --ui: the dashboard watches the main running plan from its start (the first the factory makes).
      type Dashboard = Awaited<ReturnType<(typeof import('../../dashboard/server.js'))['startDashboard']>>;
      let dashboard: Dashboard | undefined;
      const ui = flags.ui;
      const engine: EngineFactory = !ui
        ? baseEngine
        : async (options) => {
            const running = await baseEngine(options);
            if (!dashboard) {
              const { startDashboard } = await import('../../dashboard/server.js');
              dashboard = await startDashboard({ engine: running, verify: true, ...ui }).catch(
                async (error: unknown) => {
                  await running.close();
                  throw error;
                },
              );
              process.stderr.write(`dashboard: ${dashboard.url}\n`);
            }
            return running;
          };
      const color = useColor(command);
      const progress = new Progress(process.stderr, {
        live: process.stderr.isTTY === true,
        color: color && process.stderr.isTTY === true,
      });
      // Ctrl-C or SIGTERM mid-run: the sandbox's files go (unless --keep), then the signal ends us.
      let stateDir: string | undefined;
      const interrupted = (signal: NodeJS.Signals) => {
        process.stderr.write(
          `\nverify interrupted (${signal})${stateDir && flags.keep ? `; state kept in ${stateDir}` : ''}\n`,
        );
        // The lab's namespaces outlive the process unless removed now (the signal ends it next).
        labs?.teardownLabsNow();
        if (stateDir && !flags.keep) void removeStateDir(stateDir, 'detached');
        process.kill(process.pid, signal);
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const result = await verifyPlan({
        ...(from ? { plan: from, migrateTo: plan } : { plan }),
        engine,
        ...(scenarios.length > 0 && { scenarios }),
        keep: flags.keep === true,
        // The verdict is ready before the Maildirs are gone: do not hold the terminal for that.
        removal: 'detached',
        patience: patience * 1000,
        onStateDir: (dir) => (stateDir = dir),
        onScenarioStart: (s) => {
          progress.start(s.name, s.title);
          dashboard?.verify?.scenarioStarted(s.name, s.title);
        },
        onCase: (c) => {
          progress.case(c);
          dashboard?.verify?.caseJudged(c);
        },
        onStatus: (_s, text) => progress.status(text),
        onScenarioEnd: (s, ms) => {
          progress.end(s.name, ms);
          dashboard?.verify?.scenarioEnded(s.name, ms);
        },
      }).catch(async (error: unknown) => {
        await dashboard?.close();
        throw error;
      });
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      const topology = flags.from === undefined ? file : `${flags.from} → ${file}`;
      process.stdout.write(formatVerify(flags.format, result, { color, topology }));
      // The text report ends by saying so; a JSON or JUnit report is for a tool, the person reads stderr.
      if (result.stateDir && flags.format !== 'text') process.stderr.write(`state kept in ${result.stateDir}\n`);
      if (dashboard) {
        // The plan has stopped; its journeys and verdicts stay to be read.
        dashboard.verify?.done();
        dashboard.engineClosed();
        process.stderr.write(`verify finished; the dashboard stays open at ${dashboard.url} until Ctrl-C\n`);
        await waitForSignal();
        await dashboard.close();
      }
      if (failures(result).length > 0) throw new ProblemsError();
    });
}
