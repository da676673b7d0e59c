/**
 * What the labs of a test run left behind, from the ledger (support/lab.ts): their namespaces
 * (by name in `ip netns list`, and by inode: a process still in one keeps it alive after its
 * name is gone), their /etc/netns directories, and their mounts (`ip netns add` bind-mounts
 * each namespace on /run/netns/<name>). Namespace inodes are reused once freed: an inode that
 * another live namespace holds now is not counted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Entry {
  readonly ns: string;
  readonly inode: number;
}

export function ledgerEntries(ledger: string): Entry[] {
  if (!existsSync(ledger)) return [];
  return readdirSync(ledger).flatMap((file) => JSON.parse(readFileSync(join(ledger, file), 'utf8')) as Entry[]);
}

/** One line per thing left behind; empty when the labs left nothing. */
export function labLeftovers(entries: readonly Entry[]): string[] {
  if (entries.length === 0) return [];
  const names = new Set(entries.map((e) => e.ns));
  const inodes = new Set(entries.map((e) => e.inode).filter((i) => i > 0));
  const left: string[] = [];
  const all = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
  for (const ns of all.filter((n) => names.has(n))) left.push(`namespace ${ns}`);
  // An inode another live namespace holds now was ours once and freed: reused, not left behind.
  for (const ns of all.filter((n) => !names.has(n))) {
    try {
      inodes.delete(statSync(join('/run/netns', ns)).ino);
    } catch {
      // removed meanwhile
    }
  }
  for (const ns of names) if (existsSync(join('/etc/netns', ns))) left.push(`directory /etc/netns/${ns}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4] ?? '';
    const ns = mountPoint.split('/').pop() ?? '';
    if (names.has(ns)) left.push(`mount ${mountPoint}`);
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue; // gone meanwhile, or a kernel thread
    }
    const inode = Number(/^net:\[(\d+)\]$/.exec(link)?.[1]);
    if (inodes.has(inode)) {
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        // gone meanwhile
      }
      left.push(`process ${pid} (${command}) in a lab namespace`);
    }
  }
  return left;
}
