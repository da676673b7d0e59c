/** Reference servers (named, NSD) run as child processes beside the responder in tests. */
import type { ChildProcess } from 'node:child_process';
import { startDnsServer } from '../../../src/dns/server.js';

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
