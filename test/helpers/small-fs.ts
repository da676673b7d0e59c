/**
 * A real, small file system for tests of a full disk: a size-limited tmpfs mounted on a fresh
 * directory, filled to the last byte by a filler file and freed by removing it. It needs root
 * (CI runs as root): `smallFsAvailable()` is false outside CI when it cannot mount (the test is
 * skipped, as for a missing tool, test/helpers/tools.ts), and an error under CI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './tools.js';

const run = promisify(execFile);

export function smallFsAvailable(): boolean {
  if (!requireTool('mount') || !requireTool('umount')) return false;
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error('a full-disk test mounts a tmpfs, which needs root (CI runs as root)');
  return false;
}

export interface SmallFs extends AsyncDisposable {
  readonly dir: string;
  /** Fills every byte left with a filler file; resolves with the bytes it took. */
  fill(): Promise<number>;
  /** Removes the filler: the space is back. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallFs(bytes: number): Promise<SmallFs> {
  const dir = await mkdtemp(join(tmpdir(), 'mxplan-smallfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  let mounted = true;
  const fs: SmallFs = {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      let taken = 0;
      try {
        // Large writes first, then smaller ones, until not one byte more fits.
        for (let chunk = 1024 * 1024; chunk >= 1; chunk = Math.floor(chunk / 4)) {
          const zeros = Buffer.alloc(chunk);
          for (;;) {
            try {
              const { bytesWritten } = await handle.write(zeros);
              taken += bytesWritten;
              if (bytesWritten < chunk) break;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
              break;
            }
          }
        }
      } finally {
        await handle.close();
      }
      return taken;
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run('umount', ['-l', dir]);
      await rmdir(dir);
    },
    [Symbol.asyncDispose]: () => fs.unmount(),
  };
  return fs;
}
