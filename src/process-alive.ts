/**
 * Whether a process exists, for locks and work directories that record their owner's pid: a
 * pid whose process is gone (kill -9, a crash) marks a stale lock, safe to take over.
 */
export function isAlive(pid: number): boolean {
  try {
    // Signal 0 checks that the process exists and may be signalled, and sends nothing.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}
