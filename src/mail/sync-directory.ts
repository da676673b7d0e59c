/**
 * fsync of a directory, so that the entries created or renamed in it survive a crash (a file's own
 * fsync does not cover its name). Shared by the spool (new segments) and the Maildir store (new/,
 * new mailboxes). fs callbacks rather than FileHandle promises: one promise, no FileHandle per call.
 *
 * A directory synced often (a mailbox's new/, once per delivery) is better kept open: with
 * DirectoryHandles a sync is one fsync(2), where open, fsync and close are three trips through
 * the thread pool. A descriptor is closed only while no sync uses it, so no fsync meets a number
 * that was closed and reused.
 */
import fs from 'node:fs';

/** Directories kept open at most; beyond, the least recently synced one not in use is closed. */
const KEPT_OPEN = 64;

export function syncDirectory(dir: string, handles?: DirectoryHandles): Promise<void> {
  if (handles && !handles.closed) return handles.sync(dir);
  return new Promise((resolve, reject) => {
    fs.open(dir, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      fs.fsync(fd, (syncError) =>
        fs.close(fd, (closeError) => {
          const error = syncError ?? closeError;
          if (error) reject(error);
          else resolve();
        }),
      );
    });
  });
}

interface Handle {
  /** Settles once the directory is open. */
  fd: Promise<number>;
  users: number;
}

/** Open directory descriptors for fsync, by path, least recently used first. */
export class DirectoryHandles {
  private readonly open = new Map<string, Handle>();
  closed = false;

  async sync(dir: string): Promise<void> {
    let handle = this.open.get(dir);
    if (handle)
      this.open.delete(dir); // to the end: most recently used
    else {
      const fd = new Promise<number>((resolve, reject) =>
        fs.open(dir, 'r', (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      fd.catch(() => {}); // awaited below; a failed open is not kept
      handle = { fd, users: 0 };
    }
    this.open.set(dir, handle);
    handle.users++;
    try {
      const fd = await handle.fd;
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      if (this.open.get(dir) === handle) this.open.delete(dir); // opened afresh next time
      throw error;
    } finally {
      handle.users--;
      if (handle.users === 0 && (this.closed || this.open.get(dir) !== handle)) void closeHandle(handle);
      this.evict();
    }
  }

  /** Closes every descriptor not in use now; those in use close when their sync ends. */
  close(): void {
    this.closed = true;
    for (const [dir, handle] of this.open) {
      this.open.delete(dir);
      if (handle.users === 0) void closeHandle(handle);
    }
  }

  private evict(): void {
    for (const [dir, handle] of this.open) {
      if (this.open.size <= KEPT_OPEN) return;
      if (handle.users > 0) continue;
      this.open.delete(dir);
      void closeHandle(handle);
    }
  }
}

async function closeHandle(handle: Handle): Promise<void> {
  try {
    fs.closeSync(await handle.fd); // no I/O: a directory opened to read
  } catch {
    // never opened, or already gone: nothing to close
  }
}
