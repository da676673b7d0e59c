/**
 * A relay's state directory, <stateDir>/<hostId>/:
 *
 *   lock                          the pid of the relay using it
 *   queue/segment-NNNNNN.log      the spool (spool.ts): envelopes and messages, plain text framing
 *   maildir/<domain>/<local>/     one Maildir per mailbox homed on this host ({tmp,new,cur})
 *
 * Two relays must never share one: the lock holds the owner's pid, and a lock whose process is
 * gone (kill -9) is stale and taken over, so a crash never blocks the restart.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import { isAlive } from '../process-alive.js';

export interface HostState {
  readonly dir: string;
  readonly queueDir: string;
  readonly maildirRoot: string;
  release(): Promise<void>;
}

export async function openHostState(stateDir: string, hostId: string): Promise<HostState> {
  const dir = join(stateDir, hostId);
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, 'lock');
  await takeLock(lockPath);
  return {
    dir,
    queueDir: join(dir, 'queue'),
    maildirRoot: join(dir, 'maildir'),
    release: () => rm(lockPath, { force: true }),
  };
}

async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (owner && isAlive(owner)) {
        throw new ResourceError(`state directory ${lockPath.replace(/\/lock$/, '')} is in use by process ${owner}`);
      }
      await rm(lockPath, { force: true }); // stale: its owner is gone
    }
  }
  throw new ResourceError(`cannot lock ${lockPath}`);
}
