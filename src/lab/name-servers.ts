/**
 * DNS on port 53 at every planned name server address, by one of four servers:
 *
 * - builtin: mxplan's responder (dns-helper.ts), serving the records the loopback sandbox serves;
 * - bind, nsd, knot: the daemon itself, loading exactly the zone files and the zone stanzas that
 *   `mxplan zones --server <name>` writes (writeZoneDirectory, the command's own code), included
 *   from a main configuration of the lab's that says only where to listen and where its own
 *   files go. One daemon per machine holding name server addresses, in the foreground, in that
 *   machine's namespace; stopped by its pid.
 *
 * A switch to a new plan (switchZones) serves its zones from then on, each answer wholly from one
 * plan: the responder swaps them at once (replaceZones); the daemons get the files `mxplan zones
 * --server` writes for it, then their documented reload: SIGHUP for named (named(8): "read
 * named.conf and reload the database") and knotd (knotd(8): it reloads its configuration and the
 * changed zones), and for NSD, whose SIGHUP rereads only the zone files it already has (nsd(8)),
 * `nsd-control reconfig` and `reload` over a control socket of the lab's, so zones can come and go.
 *
 * The caller's domains outside the plan (outside-domains.ts) are served beside the plan's zones,
 * so that the hosts, which ask only the planned name servers, find their MX: by the responder as
 * more zones, by the daemons from a directory of their own (<state>/dns/outside-zones), never
 * in the plan's zone files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveZones } from '../dns/derive.js';
import { listenForDnstap, type DnstapListener } from '../dns/dnstap.js';
import type { Zone } from '../dns/records.js';
import type { QueryLogEntry } from '../dns/server.js';
import type { Server } from '../dns/server-config.js';
import { writeZoneDirectory } from '../dns/zone-dir.js';
import { canonicalIP, familyOf } from '../topology/ip.js';
import type { Plan } from '../topology/types.js';
import { LAB_ENV, LabError, must, run } from './exec.js';
import { Helper } from './ipc.js';
import type { LabLayout, Machine } from './layout.js';

import type { DnsChoice } from './choices.js';

export { DNS_CHOICES, type DnsChoice } from './choices.js';

export interface RunningNameServers {
  /** What answers ("NSD 4.6.1"), for reports. */
  readonly name: string;
  /** Where the zone files and stanzas are (the daemons), or undefined (mxplan's responder). */
  readonly zoneDirectory: string | undefined;
  /** Throws when a daemon has exited: its last words say why. */
  alive: () => void;
  /**
   * Adds a listener to the query log; returns its removal. mxplan's responder reports its own;
   * BIND, NSD and Knot report each response over dnstap (../dns/dnstap.ts).
   */
  onQuery(listener: (entry: QueryLogEntry) => void): () => void;
  /**
   * Serves `plan`'s zones (and the outside zones, as before) from now on; resolves once each
   * server has been told, with the SOA serial each zone of the plan has now, by origin (the
   * caller sees a reload through by asking for it).
   */
  switchZones(plan: Plan): Promise<ReadonlyMap<string, number>>;
  stop(): Promise<void>;
}

/** Every one of `starting`, or none: when one fails, those that started are stopped, and the first failure thrown. */
export async function allOrNone<T>(
  starting: readonly Promise<T>[],
  stop: (started: T) => Promise<unknown>,
): Promise<T[]> {
  const settled = await Promise.allSettled(starting);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  await Promise.allSettled(settled.flatMap((s) => (s.status === 'fulfilled' ? [stop(s.value)] : [])));
  throw failed.reason;
}

/** The planned name server addresses a machine answers at. */
export function nameServerAddresses(machine: Machine): string[] {
  return [...new Set(machine.nameServers.flatMap((ns) => [...ns.ipv4, ...ns.ipv6]).map(canonicalIP))];
}

export async function startNameServers(
  choice: DnsChoice,
  options: {
    readonly plan: Plan;
    readonly layout: LabLayout;
    readonly stateDir: string;
    /** Zones outside the plan to serve beside its own (the outside domains'). */
    readonly outsideZones: readonly Zone[];
  },
): Promise<RunningNameServers> {
  const machines = options.layout.machines.filter((m) => m.nameServers.length > 0);
  if (choice === 'builtin') {
    let serial = 1;
    const zones = [...deriveZones(options.plan, { serial }), ...options.outsideZones];
    const helpers = await allOrNone(
      machines.map((machine) =>
        Helper.start(machine.namespace, 'dns', { zones, addresses: nameServerAddresses(machine) }),
      ),
      (h) => h.stop(),
    );
    const log = queryLog();
    for (const helper of helpers) helper.onEvent((entry) => log.tell(entry as QueryLogEntry));
    return {
      name: "mxplan's responder",
      zoneDirectory: undefined,
      alive: () => {},
      onQuery: log.add,
      async switchZones(plan) {
        const next = deriveZones(plan, { serial: ++serial });
        const all = [...next, ...options.outsideZones];
        await Promise.all(helpers.map((h) => h.call('zones', all)));
        return new Map(next.map((z) => [z.origin, serial]));
      },
      stop: async () => void (await Promise.allSettled(helpers.map((h) => h.stop()))),
    };
  }

  const base = join(options.stateDir, 'dns');
  const zoneDirectory = join(base, 'zones');
  // `mxplan zones --out <dir> --server <choice>`, as the command writes it.
  const writeZones = async (plan: Plan) => {
    const written = await writeZoneDirectory(deriveZones(plan), {
      out: zoneDirectory,
      servers: [choice],
      zoneDirectory,
    });
    return new Map(written.zones.map((z) => [z.origin, z.serial]));
  };
  await writeZones(options.plan);
  const included = [zoneDirectory];
  if (options.outsideZones.length > 0) {
    const outsideZones = join(base, 'outside-zones');
    await writeZoneDirectory(options.outsideZones, {
      out: outsideZones,
      servers: [choice],
      zoneDirectory: outsideZones,
    });
    included.push(outsideZones);
  }
  const daemons: { daemon: Daemon; conf: string }[] = [];
  const log = queryLog();
  // The dnstap sockets: a short directory of their own (a UNIX socket path has 108 octets at most).
  const taps = await mkdtemp(join(tmpdir(), 'mxlab-tap-'));
  const listeners: DnstapListener[] = [];
  const stop = async () => {
    await Promise.allSettled(daemons.map((d) => d.daemon.stop()));
    await Promise.allSettled(listeners.map((l) => l.close()));
    await rm(taps, { recursive: true, force: true });
  };
  try {
    for (const [i, machine] of machines.entries()) {
      const work = join(base, machine.namespace);
      await mkdir(work, { recursive: true });
      // Listening before the daemon starts: it connects once, at start (fstrm retries only later).
      const tap = await listenForDnstap(join(taps, `${i}.sock`), log.tell);
      listeners.push(tap);
      const daemon = DAEMONS[choice];
      const conf = join(work, daemon.file);
      const control = join(taps, `${i}.ctl`);
      await writeFile(
        conf,
        `${daemon.lines(work, included, nameServerAddresses(machine), tap.path, control).join('\n')}\n`,
      );
      const [command, args] = daemon.command(conf);
      daemons.push({ daemon: startDaemon(machine, command, args), conf });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: await versionOf(choice),
    zoneDirectory,
    alive: () => {
      for (const d of daemons) d.daemon.alive();
    },
    onQuery: log.add,
    async switchZones(plan) {
      const serials = await writeZones(plan);
      await Promise.all(daemons.map((d) => DAEMONS[choice].reload(d.conf, d.daemon)));
      return serials;
    },
    stop,
  };
}

/** Listeners of the query log, each told every entry; a listener that throws is not the others' problem. */
function queryLog() {
  const listeners = new Set<(entry: QueryLogEntry) => void>();
  return {
    add: (listener: (entry: QueryLogEntry) => void): (() => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    tell: (entry: QueryLogEntry): void => {
      for (const listener of listeners) {
        try {
          listener(entry);
        } catch {
          // the next listener still hears it
        }
      }
    },
  };
}

/**
 * A daemon's main configuration, to be written as `work/<file>`: where it listens and keeps its
 * files, the zone stanzas of each directory in `zones` included, its dnstap output to the socket
 * `tap` (and, for one that needs it to reload, its control socket `control`); its command line
 * given that file; and how it is told to load the zone files and stanzas anew.
 */
interface DaemonConfig {
  readonly file: string;
  lines(work: string, zones: readonly string[], addresses: readonly string[], tap: string, control: string): string[];
  command(conf: string): [string, string[]];
  reload(conf: string, daemon: Daemon): Promise<void>;
}

const v4 = (addresses: readonly string[]) => addresses.filter((a) => familyOf(a) === 4);
const v6 = (addresses: readonly string[]) => addresses.filter((a) => familyOf(a) === 6);
const list = (addresses: readonly string[]) =>
  addresses.length > 0 ? `{ ${addresses.map((a) => `${a};`).join(' ')} }` : '{ none; }';

const DAEMONS: Readonly<Record<Server, DaemonConfig>> = {
  bind: {
    file: 'named.conf',
    lines: (work, zones, addresses, tap) => [
      '// mxplan lab: where this named listens and keeps its files; the zones are the include.',
      'options {',
      `  directory "${work}";`,
      `  pid-file "${join(work, 'named.pid')}";`,
      `  session-keyfile "${join(work, 'session.key')}";`,
      `  managed-keys-directory "${work}";`,
      `  listen-on port 53 ${list(v4(addresses))};`,
      `  listen-on-v6 port 53 ${list(v6(addresses))};`,
      '  recursion no;',
      '  notify no;',
      '  dnssec-validation no;',
      '  allow-transfer { none; };',
      // BIND files a query with RD set (every stub resolver's) under client, not auth.
      '  dnstap { auth response; client response; };',
      `  dnstap-output unix "${tap}";`,
      // Each response at once, not after 32 of them (fstrm's notify threshold) or a second.
      '  fstrm-set-output-notify-threshold 1;',
      '  fstrm-set-flush-timeout 1;',
      '};',
      'controls { };',
      ...zones.map((dir) => `include "${join(dir, 'named.conf')}";`),
    ],
    command: (conf) => ['named', ['-g', '-n', '1', '-c', conf]],
    // named(8): SIGHUP "causes the server to read named.conf and reload the database".
    reload: async (_conf, daemon) => daemon.signal('SIGHUP'),
  },
  nsd: {
    file: 'nsd.conf',
    lines: (work, zones, addresses, tap, control) => [
      '# mxplan lab: where this NSD listens and keeps its files; the zones are the include.',
      'server:',
      ...addresses.map((a) => `  ip-address: ${a}@53`),
      `  do-ip4: ${v4(addresses).length > 0 ? 'yes' : 'no'}`,
      `  do-ip6: ${v6(addresses).length > 0 ? 'yes' : 'no'}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${work}"`,
      `  pidfile: "${join(work, 'nsd.pid')}"`,
      `  xfrdfile: "${join(work, 'xfrd.state')}"`,
      `  zonelistfile: "${join(work, 'zone.list')}"`,
      '  database: ""',
      '  server-count: 1',
      // A UNIX socket (nsd.conf(5) control-interface, an absolute path): no keys, root's directory.
      'remote-control:',
      '  control-enable: yes',
      `  control-interface: ${control}`,
      'dnstap:',
      '  dnstap-enable: yes',
      `  dnstap-socket-path: "${tap}"`,
      '  dnstap-log-auth-query-messages: no',
      '  dnstap-log-auth-response-messages: yes',
      ...zones.map((dir) => `include: "${join(dir, 'nsd.conf')}"`),
    ],
    command: (conf) => ['nsd', ['-d', '-c', conf]],
    // reconfig: zones added to or removed from the stanzas; reload: the changed zone files.
    reload: async (conf) => {
      for (const command of ['reconfig', 'reload']) await must('nsd-control', ['-c', conf, command]);
    },
  },
  knot: {
    file: 'knot.conf',
    lines: (work, zones, addresses, tap) => [
      '# mxplan lab: where this knotd listens and keeps its files; the zones are the include.',
      'server:',
      `  rundir: "${work}"`,
      `  listen: [ ${addresses.map((a) => `"${a}@53"`).join(', ')} ]`,
      'log:',
      '  - target: stderr',
      '    any: warning',
      'database:',
      `  storage: "${work}"`,
      'mod-dnstap:',
      '  - id: tap',
      `    sink: "unix:${tap}"`,
      '    log-queries: off',
      '    log-responses: on',
      'template:',
      '  - id: default',
      `    storage: "${work}"`,
      '    global-module: mod-dnstap/tap',
      // The zone files are mxplan's: read them whole, never write them back, keep no journal.
      '    zonefile-load: whole',
      '    zonefile-sync: -1',
      '    journal-content: none',
      ...zones.map((dir) => `include: "${join(dir, 'knot.conf')}"`),
    ],
    command: (conf) => ['knotd', ['-c', conf]],
    // knotd(8): SIGHUP reloads the configuration (the included stanzas) and the changed zones.
    reload: async (_conf, daemon) => daemon.signal('SIGHUP'),
  },
};

interface Daemon {
  alive(): void;
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

function startDaemon(machine: Machine, command: string, args: readonly string[]): Daemon {
  // `ip netns exec` execs the daemon itself: the child's pid is the daemon's.
  const child: ChildProcess = spawn('ip', ['netns', 'exec', machine.namespace, command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: LAB_ENV,
  });
  let said = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (said = (said + chunk).slice(-4000)));
  child.on('error', (error) => (said += `\n${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new LabError(
        `${command} in ${machine.namespace} exited (${child.exitCode ?? child.signalCode}): ${lastLines(said)}`,
      );
  };
  return {
    alive,
    signal(signal) {
      alive();
      child.kill(signal);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ') || 'it said nothing';
}

/** "BIND 9.18.49", "NSD 4.6.1", "Knot DNS 3.2.6": as the installed daemon says. */
async function versionOf(server: Server): Promise<string> {
  const [command, args, pattern, name] = {
    bind: ['named', ['-v'], /BIND (\S+?)(?:-|\s|$)/, 'BIND'],
    nsd: ['nsd', ['-v'], /version (\S+)/, 'NSD'],
    knot: ['knotd', ['-V'], /version (\S+)/, 'Knot DNS'],
  }[server] as [string, string[], RegExp, string];
  const result = await run(command, args);
  const version = pattern.exec(result.stdout + result.stderr)?.[1];
  return version ? `${name} ${version}` : name;
}
