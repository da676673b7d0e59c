/**
 * A relay's state directory, <stateDir>/<hostId>/ (laid out in state-layout.ts): its lock, its
 * spool (spool.ts: queue/segment-NNNNNN.log) and its Maildirs.
 *
 * Two relays must never share one: the lock names the owner's pid, and a lock whose process is
 * gone (kill -9) is stale and taken over, so a crash never blocks the restart. The lock is a
 * symbolic link whose target is the pid (as Emacs and Mercurial lock): made atomically, and a
 * target that short lives in the inode, so it needs no data block and a full disk cannot keep a
 * relay from starting. A lock written by an older mxplan (a file holding the pid) is still read.
 */
import { mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { ResourceError } from '../errors.js';
import { isAlive } from '../process-alive.js';
import { hostLayout } from '../state-layout.js';

export interface HostState {
  readonly dir: string;
  readonly queueDir: string;
  readonly maildirRoot: string;
  release(): Promise<void>;
}

export async function openHostState(stateDir: string, hostId: string): Promise<HostState> {
  const { dir, lock, queue, maildirRoot } = hostLayout(stateDir, hostId);
  await mkdir(dir, { recursive: true });
  await takeLock(lock);
  return { dir, queueDir: queue, maildirRoot, release: () => rm(lock, { force: true }) };
}

async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await symlink(String(process.pid), lockPath);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await lockOwner(lockPath);
      if (owner && isAlive(owner)) {
        throw new ResourceError(`state directory ${lockPath.replace(/\/lock$/, '')} is in use by process ${owner}`);
      }
      await rm(lockPath, { force: true }); // stale: its owner is gone
    }
  }
  throw new ResourceError(`cannot lock ${lockPath}`);
}

/** The pid a lock names (0 when it names none): a link's target, or an older lock file's content. */
async function lockOwner(lockPath: string): Promise<number> {
  const text = await readlink(lockPath).catch(() => readFile(lockPath, 'utf8').catch(() => ''));
  return Number(text.trim()) || 0;
}
