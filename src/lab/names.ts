/**
 * The names of a lab's network namespaces: a run-unique prefix that names its owner, then the
 * part of the lab.
 *
 *   mxlab-<pid>-<start>-<n>-switch      the bridge joining every other namespace
 *   mxlab-<pid>-<start>-<n>-outside     the Internet: verify's sender, a receiver for outbound mail
 *   mxlab-<pid>-<start>-<n>-host-<id>   a planned host (and the name servers at its addresses)
 *   mxlab-<pid>-<start>-<n>-dns-<name>  a planned name server at addresses of its own
 *   mxlab-<pid>-<start>-<n>-web-<id>    a planned web host (an MTA-STS policy host) at addresses of its own
 *
 * <pid> and <start> (the process's start time in clock ticks, base 36, from /proc/<pid>/stat)
 * name the owner: a lab whose owner is gone (kill -9, a crash) is stale, and a reused pid with
 * another start time does not keep it alive. <n> counts the labs of one process.
 */
import { statOf } from './procfs.js';

export const LAB_MARK = 'mxlab';

const PREFIX = new RegExp(`^${LAB_MARK}-(\\d+)-([0-9a-z]+)-(\\d+)-`);

let labs = 0;

/** A new prefix for a lab of this process ("mxlab-4242-1x3k9-1"). */
export function newPrefix(): string {
  return `${LAB_MARK}-${process.pid}-${startTime(process.pid) ?? '0'}-${++labs}`;
}

/** The prefix of a lab namespace name ("mxlab-4242-1x3k9-1"), or undefined for any other name. */
export function prefixOf(name: string): string | undefined {
  return PREFIX.exec(name)?.[0].slice(0, -1);
}

/** Whether the process that made this prefix still runs. */
export function ownerAlive(prefix: string): boolean {
  const match = PREFIX.exec(`${prefix}-`);
  if (!match) return false;
  return startTime(Number(match[1])) === match[2];
}

/** A process's start time since boot in clock ticks, base 36 (proc(5), /proc/<pid>/stat field 22). */
function startTime(pid: number): string | undefined {
  return statOf(pid)?.startTime.toString(36);
}

export interface LabNames {
  readonly prefix: string;
  readonly switch: string;
  readonly outside: string;
  host(hostId: string): string;
  nameServer(name: string): string;
  web(webId: string): string;
}

export function labNames(prefix: string): LabNames {
  return {
    prefix,
    switch: `${prefix}-switch`,
    outside: `${prefix}-outside`,
    host: (hostId) => `${prefix}-host-${hostId}`,
    nameServer: (name) => `${prefix}-dns-${name}`,
    web: (webId) => `${prefix}-web-${webId}`,
  };
}
