/**
 * fsync of a directory, so that the entries created or renamed in it survive a crash (a file's own
 * fsync does not cover its name). Shared by the spool (new segments) and the Maildir store (new/,
 * new mailboxes). fs callbacks rather than FileHandle promises: one promise, no FileHandle per call.
 */
import fs from 'node:fs';

export function syncDirectory(dir: string): Promise<void> {
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
