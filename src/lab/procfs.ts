/**
 * Processes as /proc shows them (proc(5)): which still run, by process group. A killed process
 * stays a zombie until its parent reaps it, and the lab's daemons are reparented to the
 * machine's init, which may take its time; a zombie holds no socket and no file, so it counts
 * as gone.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Stat {
  readonly pid: number;
  /** Field 3: R, S, D, Z (a zombie), ... */
  readonly state: string;
  /** Field 5. */
  readonly pgrp: number;
  /** Field 22: when it started, in clock ticks since boot (a pid and this name one process). */
  readonly startTime: bigint;
}

/** /proc/<pid>/stat, the fields read here; undefined when there is no such process. */
export function statOf(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold anything: fields[0] is field 3.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0]!, pgrp: Number(fields[2]), startTime: BigInt(fields[22 - 3] ?? 0) };
}

/** The pids of the processes of a process group that have not exited. */
export function livingInGroup(pgrp: number): number[] {
  const living: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (stat && stat.pgrp === pgrp && stat.state !== 'Z') living.push(stat.pid);
  }
  return living;
}
