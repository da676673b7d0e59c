import { isIP } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { AlreadyReported, EXIT_CANNOT_RUN, ProblemsError, ResourceError, UsageError } from '../../errors.js';
import { attempt } from '../failure.js';
import { integerOption, serialOption } from '../options.js';
import { waitForSignal } from '../signals.js';
import { planForOutput } from '../plan-gate.js';

/** How long the primary waits for the signal that ended a starting worker to reach it too. */
const SIGNAL_GRACE_MS = 1000;

interface DnsFlags {
  listen: string;
  log?: string | true;
  workers?: number;
  serial?: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('dns')
    .description('serve every zone the plan manages, authoritatively, over UDP and TCP (the records of the zone files)')
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .option(
      '--listen <address:port>',
      'where to listen, for UDP and TCP alike ([::1]:5300 for IPv6; port 0 picks one)',
      '127.0.0.1:5300',
    )
    .option(
      '--log [file]',
      'one NDJSON line per query (client, qname, qtype, rcode, latency) to stdout (- or no file), or appended to file; a slow or closed reader costs log lines, never answers',
    )
    .addOption(
      integerOption(
        '--workers <n>',
        'processes sharing the port (node:cluster); default: one per core (one for -, read once)',
        1,
        64,
      ),
    )
    .addOption(serialOption('SOA serial of every zone (default: YYYYMMDD00 of today, as a new zone gets)'))
    .option('--force', 'serve even when the topology has error-level findings')
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C or SIGTERM. Zone transfers (AXFR) are open to every client: keep it on loopback.',
    )
    .action(async (file: string, flags: DnsFlags, command: Command) => {
      const { address, port } = parseListen(flags.listen);
      const { serial } = flags;
      // Every worker loads the topology again; standard input can be read once.
      if (file === '-' && (flags.workers ?? 1) > 1)
        throw new UsageError('--workers above 1 needs the topology in a file, not -');
      // One process per core by default: Node spends most of a UDP query in its per-packet path,
      // on one core (bench/dns.mjs: 2 workers on 2 cores answer about twice what one does).
      const workers = flags.workers ?? (file === '-' ? 1 : Math.min(64, availableParallelism()));
      const [
        cluster,
        { startDnsCluster, ignoreStopSignals, WorkerExitError },
        { deriveZones },
        { dateSerial },
        { openNdjsonSink },
      ] = await Promise.all([
        import('node:cluster').then((m) => m.default),
        import('../../dns/cluster.js'),
        import('../../dns/derive.js'),
        import('../../dns/serial.js'),
        import('../../ndjson-sink.js'),
      ]);
      // node:cluster workers re-run this command; the primary has already reported findings.
      const worker = cluster.worker;
      if (worker) ignoreStopSignals();
      const plan = worker
        ? (await import('../../lint/check.js').then((m) => m.checkTopology(file))).plan
        : await planForOutput(file, { force: flags.force === true, command, refusal: 'no zones are served' });
      if (!plan) throw new ProblemsError();
      const zones = deriveZones(plan, { serial: serial ?? dateSerial(new Date()) });

      // Only a process that answers queries logs them (with workers, each worker).
      const who = worker ? `mxplan: worker ${worker.id}` : 'mxplan';
      const log =
        flags.log === undefined || (workers > 1 && !worker)
          ? undefined
          : await openNdjsonSink(flags.log === true ? '-' : flags.log, {
              onBroken: (error) =>
                process.stderr.write(
                  `${who}: the query log stopped (${(error as NodeJS.ErrnoException).code ?? error.message}); serving goes on without it\n`,
                ),
            });
      const closeLog = async (): Promise<void> => {
        const { written, dropped } = (await log?.close()) ?? { written: 0, dropped: 0 };
        if (dropped > 0)
          process.stderr.write(
            `${who}: the query log dropped ${dropped} of ${written + dropped} entries (its reader was slower than the queries, or gone)\n`,
          );
      };
      // The primary listens for the signal before it forks: killed by it while its workers start,
      // it left them a closed channel, and each printed an EPIPE stack (issue 10). A signal then
      // stops the start: the workers that listen are asked to stop, the others are killed.
      const signalled = worker ? undefined : waitForSignal();
      const started = startDnsCluster({
        workers,
        address,
        port,
        log: log && ((entry) => log.write(entry)),
        loadZones: async () => zones,
      });
      // A worker that Ctrl-C ended before it set its handlers fails the start, and the primary may
      // hear of that before it hears its own copy of the signal: it waits a moment for that copy
      // (and no longer once the race is decided: a pending timer would hold the exit back).
      const grace = new AbortController();
      const early =
        signalled &&
        (await Promise.race([
          signalled,
          started.then(
            () => undefined,
            (error: unknown) =>
              error instanceof WorkerExitError && error.signal !== null
                ? Promise.race([signalled, delay(SIGNAL_GRACE_MS, undefined, { signal: grace.signal }).catch(() => {})])
                : undefined,
          ),
        ]));
      grace.abort();
      if (early) {
        // Ctrl-C reaches the workers too, and a worker it ends before it listens fails the start.
        await started.then(
          (server) => server.close(),
          () => undefined,
        );
        await closeLog();
        process.stderr.write(`mxplan: ${early}: stopped\n`);
        return;
      }
      const server = await attempt(started, { port: '--listen' }).catch(async (error: unknown) => {
        await log?.close();
        // A worker's failure reaches the primary, which says it once.
        throw worker ? new AlreadyReported(EXIT_CANNOT_RUN) : error;
      });
      if (worker || !signalled) {
        await server.closed;
        await closeLog();
        return;
      }
      const where = server.address.includes(':')
        ? `[${server.address}]:${server.port}`
        : `${server.address}:${server.port}`;
      const processes = workers > 1 ? ` with ${workers} workers` : '';
      process.stderr.write(
        `mxplan: serving ${zones.length} zones on ${where} (UDP and TCP)${processes}; Ctrl-C stops\n`,
      );

      const signal = await Promise.race([signalled, server.closed.then(() => undefined)]);
      await server.close();
      await closeLog();
      if (!signal) throw new ResourceError('the DNS server stopped');
      process.stderr.write(`mxplan: ${signal}: stopped\n`);
    });
}

/** "127.0.0.1:5300", "[::1]:5300", or a bare port on 127.0.0.1. */
export function parseListen(text: string): { address: string; port: number } {
  const match =
    /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text.trim()) ?? /^()()(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  const address = match?.[1] || match?.[2] || '127.0.0.1';
  if (!match || port > 65535 || !isIP(address))
    throw new UsageError(`--listen takes address:port (127.0.0.1:5300, [::1]:5300), not "${text}"`);
  return { address, port };
}
