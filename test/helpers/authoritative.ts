/**
 * Real authoritative servers on loopback for end-to-end tests: BIND's named and NLnet Labs' NSD,
 * each serving a zone directory that `mxplan zones --server bind,nsd` wrote, on a port of its own
 * (127.0.0.1 only), in the foreground, stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { query } from '../../src/dns/client.js';
import { startDnsServer } from '../../src/dns/server.js';

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** A port free for UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const probe = await startDnsServer({ zones: [] });
  await probe.close();
  return probe.port;
}

/** Stops a daemon by its PID (SIGTERM) and waits for it to exit. */
export async function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * named's options for a test instance: its files in `directory`, listening on 127.0.0.1:`port`
 * only, no recursion, no notify, transfers open to 127.0.0.1.
 */
export function namedOptions(directory: string, port: number): string[] {
  return [
    'options {',
    `  directory "${directory}";`,
    `  pid-file "${join(directory, 'named.pid')}";`,
    `  session-keyfile "${join(directory, 'session.key')}";`,
    `  managed-keys-directory "${directory}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  notify no;',
    '  dnssec-validation no;',
    '  allow-transfer { 127.0.0.1; };',
    '};',
    'controls { };',
  ];
}

/** named as a primary for the zones of `zones/named.conf`, transfers open to 127.0.0.1. */
export async function startNamed(workDir: string, zonesDir: string, probeZone: string): Promise<RunningServer> {
  const port = await freePort();
  const conf = join(workDir, 'named-main.conf');
  await writeFile(conf, [...namedOptions(workDir, port), `include "${join(zonesDir, 'named.conf')}";`, ''].join('\n'));
  return launch('named', ['-g', '-4', '-n', '1', '-c', conf], port, probeZone);
}

/** NSD as a primary for the zones of `zones/nsd.conf`; it allows no transfer (no provide-xfr). */
export async function startNsd(workDir: string, zonesDir: string, probeZone: string): Promise<RunningServer> {
  const port = await freePort();
  const conf = join(workDir, 'nsd-main.conf');
  await writeFile(
    conf,
    [
      'server:',
      `  ip-address: 127.0.0.1@${port}`,
      '  do-ip6: no',
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${workDir}"`,
      `  pidfile: "${join(workDir, 'nsd.pid')}"`,
      `  xfrdfile: "${join(workDir, 'xfrd.state')}"`,
      `  zonelistfile: "${join(workDir, 'zone.list')}"`,
      '  database: ""',
      '  server-count: 1',
      'remote-control:',
      '  control-enable: no',
      `include: "${join(zonesDir, 'nsd.conf')}"`,
      '',
    ].join('\n'),
  );
  return launch('nsd', ['-d', '-c', conf], port, probeZone);
}

/** Starts the server and waits until it answers authoritatively for `probeZone`. */
async function launch(command: string, args: string[], port: number, probeZone: string): Promise<RunningServer> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = () => stopDaemon(child);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${log}`);
    const reply = await query({ address: '127.0.0.1', port }, probeZone, 'SOA', { timeout: 200, tries: 1 }).catch(
      () => undefined,
    );
    if (reply?.authoritative) return { port, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${command} did not answer for ${probeZone} on port ${port}:\n${log}`);
}
