/**
 * The state of the disk, which decides what a benchmark that creates files measures.
 *
 * This machine's root file system is ext4 without a journal (`ls /proc/fs/jbd2` is empty). There,
 * allocating an inode skips every free inode of the block group that was deleted in the last
 * minute or more, reading each one's inode table entry to find out (find_inode_bit() and
 * recently_deleted() in fs/ext4/ialloc.c, done only when `s_journal == NULL`). After a few thousand
 * deletions, creating a file costs 0.3-0.8 ms of kernel CPU instead of about 20 us, for one to
 * five minutes. A benchmark that removes one run's files before the next therefore measures the
 * next run on a degraded disk, and so does anything run right after it.
 *
 * So the benchmarks keep every file until they have measured everything, wait for a steady disk
 * before they start, and print the cost of a file creation beside their figures.
 */
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Above this many microseconds per created file, the disk is still skipping recently deleted inodes. */
export const STEADY_CREATE_US = 80;

let probes = 0;

/** Kernel CPU per file created in `dir`, in microseconds (the files stay: removing them would degrade the disk). */
export function creationCost(dir, files = 300) {
  const probe = join(dir, `create-probe-${process.pid}-${++probes}`);
  mkdirSync(probe);
  const before = process.cpuUsage().system;
  for (let i = 0; i < files; i++) closeSync(openSync(join(probe, String(i)), 'wx'));
  return (process.cpuUsage().system - before) / files;
}

/**
 * Waits until creating a file in `dir` is cheap again, twice in a row 5 s apart (the kernel
 * starts skipping freed inodes a moment after a deletion, so one cheap reading right after one
 * proves nothing); returns the last cost seen.
 */
export async function waitForSteadyDisk(dir, { timeoutSeconds = 300, log = console.log } = {}) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let cost = creationCost(dir);
  let told = false;
  for (let cheap = 0; Date.now() < deadline;) {
    cheap = cost <= STEADY_CREATE_US ? cheap + 1 : 0;
    if (cheap === 2) return cost;
    if (cost > STEADY_CREATE_US && !told) {
      log(
        `file creation costs ${cost.toFixed(0)} us of kernel CPU (recently deleted inodes); waiting for the disk to settle`,
      );
      told = true;
    }
    await sleep(cheap > 0 ? 5_000 : 10_000);
    cost = creationCost(dir);
  }
  log(`the disk did not settle in ${timeoutSeconds} s (${cost.toFixed(0)} us per file); measuring anyway`);
  return cost;
}

/**
 * Creates and deletes `count` files in `dir`: the state a previous run's cleanup leaves behind.
 * The freed inodes start to be skipped a moment after the deletion, hence the wait.
 */
export async function degradeDisk(dir, count) {
  const scratch = join(dir, `deleted-${process.pid}-${++probes}`);
  mkdirSync(scratch);
  for (let i = 0; i < count; i++) closeSync(openSync(join(scratch, String(i)), 'wx'));
  for (let i = 0; i < count; i++) unlinkSync(join(scratch, String(i)));
  rmSync(scratch, { recursive: true });
  await sleep(1000);
}
