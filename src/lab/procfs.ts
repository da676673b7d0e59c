/**
 * Processes as /proc shows them (proc(5)): which still run, by process group. A killed process
 * stays a zombie until its parent reaps it, and the lab's daemons are reparented to the
 * machine's init, which may take its time; a zombie holds no socket and no file, so it counts
 * as gone.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Stat {
  readonly pid: number;
  readonly state: string;
  readonly pgrp: number;
}

function statOf(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold anything.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0]!, pgrp: Number(fields[2]) };
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
