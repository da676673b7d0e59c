/**
 * Maildir delivery (https://cr.yp.to/proto/maildir.html): write tmp/<name>, fsync it, rename it
 * into new/, fsync new/. Only then is the message delivered (RFC 5321 §6.1).
 *
 * Layout: <root>/<domain>/<local>/{tmp,new,cur} (state-layout.ts); any Maildir reader reads it.
 * An internationalized local part (RFC 6531) is the directory's name in UTF-8, as it is.
 *
 * File names are "<seconds>.<key>.<host fqdn>" where <key> is a digest of the message's delivery
 * key and the mailbox. A second delivery of the same key to the same mailbox (a resend after a
 * crash) is recognised by name and stored once; the names already in new/ and cur/ are read the
 * first time a mailbox is used.
 *
 * RFC 5321 §4.4: final delivery inserts Return-Path with the envelope sender; Delivered-To names
 * the mailbox (as Postfix does), which shows an alias's fan-out to whoever reads the files.
 *
 * Renames that land in the same directory at the same time share one directory fsync (group
 * commit), which matters when many messages go to one mailbox.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Clock } from './clock.js';
import { DirectoryHandles, syncDirectory } from './sync-directory.js';
import { mailboxDir } from '../state-layout.js';

export { mailboxAddress, mailboxDir } from '../state-layout.js';

export interface MaildirDelivery {
  /** The file in new/ (for a duplicate, the name a new copy would have had). */
  readonly path: string;
  /** True when this key had already been delivered to this mailbox: nothing was written. */
  readonly duplicate: boolean;
}

export class MaildirStore {
  private readonly known = new Map<string, Promise<Set<string>>>();
  private readonly dirSync = new DirectorySync();
  private counter = 0;

  constructor(
    readonly root: string,
    private readonly hostname: string,
    private readonly clock: Clock,
  ) {}

  mailboxDir(address: string): string {
    return mailboxDir(this.root, address);
  }

  /** `returnPath` is the envelope sender ("" for the null reverse-path). */
  async deliver(address: string, message: Buffer, deliveryKey: string, returnPath: string): Promise<MaildirDelivery> {
    const dir = this.mailboxDir(address);
    const key = createHash('sha256').update(`${deliveryKey}\0${address}`).digest('hex').slice(0, 24);
    const known = await this.knownKeys(dir);
    const name = `${Math.floor(this.clock.now() / 1000)}.${key}.${this.hostname}`;
    if (known.has(key)) return { path: join(dir, 'new', name), duplicate: true };
    known.add(key); // before the first await: a concurrent resend of the same key sees it
    const tmp = join(dir, 'tmp', `${name}.${process.pid}.${++this.counter}`);
    const path = join(dir, 'new', name);
    try {
      await writeDurably(tmp, path, [
        // UTF-8: either address may be internationalized (RFC 6531, RFC 6532 §3.2)
        Buffer.from(`Return-Path: <${returnPath}>\r\nDelivered-To: ${address}\r\n`, 'utf8'),
        message,
      ]);
      await this.dirSync.sync(join(dir, 'new'));
      return { path, duplicate: false };
    } catch (error) {
      known.delete(key);
      await rm(tmp, { force: true }).catch(() => {});
      throw error;
    }
  }

  /** Closes the directories it keeps open (a delivery after this still works, and opens its own). */
  close(): void {
    this.dirSync.close();
  }

  /** Digests of the delivery keys already in the mailbox; creates the mailbox on first use. */
  private knownKeys(dir: string): Promise<Set<string>> {
    let known = this.known.get(dir);
    if (!known) {
      known = this.loadKeys(dir);
      this.known.set(dir, known);
      known.catch(() => this.known.delete(dir));
    }
    return known;
  }

  private async loadKeys(dir: string): Promise<Set<string>> {
    const created = await mkdir(join(dir, 'tmp'), { recursive: true });
    // mkdir returns the first directory it had to create: the mailbox itself or an ancestor
    // means a brand-new mailbox, whose new/ and cur/ need no recursive walk and hold no keys.
    const fresh = created !== undefined && !relative(created, dir).startsWith('..');
    const repaired = [
      await mkdir(join(dir, 'new'), { recursive: !fresh }),
      await mkdir(join(dir, 'cur'), { recursive: !fresh }),
    ].some(Boolean);
    // The new entries must survive a crash as well as the files that will be in them: sync every
    // directory that gained one, from the mailbox up to the parent of the first one created.
    const top = created ? dirname(created) : repaired ? dir : undefined;
    const changed: string[] = [];
    for (let d = dir; top !== undefined; d = dirname(d)) {
      changed.push(d);
      if (d === top || d === dirname(d)) break;
    }
    await Promise.all(changed.map((d) => this.dirSync.sync(d)));
    if (fresh) return new Set();
    // Files left in tmp/ by a crash were never acknowledged (the relay holds the state lock, so
    // no other writer exists): remove them, as Maildir's 36-hour rule would later.
    for (const name of await readdir(join(dir, 'tmp'))) await rm(join(dir, 'tmp', name), { force: true });
    const keys = new Set<string>();
    for (const sub of ['new', 'cur']) {
      for (const name of await readdir(join(dir, sub))) {
        const key = name.split('.')[1];
        if (key) keys.add(key);
      }
    }
    return keys;
  }
}

/**
 * tmp/<name>: create, write, fdatasync, close, then rename into new/. One promise around fs's
 * callback API: FileHandle promises cost the relay's main thread about twice as much per file
 * (bench/smtp.mjs). Create, write, sync and rename go to the thread pool; the close does not: it
 * does no I/O once the data is synced, and a trip through the pool costs the main thread more
 * than the close itself.
 */
function writeDurably(tmp: string, path: string, parts: readonly Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(tmp, 'wx', 0o600, (openError, fd) => {
      if (openError) return reject(openError);
      const closeThen = (error: Error | null) => {
        try {
          fs.closeSync(fd);
        } catch (closeError) {
          error ??= closeError as Error;
        }
        if (error) return reject(error);
        fs.rename(tmp, path, (renameError) => (renameError ? reject(renameError) : resolve()));
      };
      fs.writev(fd, parts as Buffer[], (writeError, written) => {
        const total = parts.reduce((n, b) => n + b.length, 0);
        if (writeError || written !== total)
          return closeThen(writeError ?? new Error(`short write to ${tmp}: ${written} of ${total} bytes`));
        fs.fdatasync(fd, closeThen);
      });
    });
  });
}

/**
 * fsync of directories with group commit: callers that arrive while a sync of the same directory
 * runs wait for the next one (their rename may have missed the running sync), and share it. The
 * directories stay open between syncs (sync-directory.ts: one fsync(2) a sync, not three calls).
 */
export class DirectorySync {
  private readonly state = new Map<
    string,
    { running: boolean; waiting: { resolve: () => void; reject: (e: unknown) => void }[] }
  >();
  private readonly handles = new DirectoryHandles();

  sync(dir: string): Promise<void> {
    let s = this.state.get(dir);
    if (!s) {
      s = { running: false, waiting: [] };
      this.state.set(dir, s);
    }
    const entry = s;
    const done = new Promise<void>((resolve, reject) => entry.waiting.push({ resolve, reject }));
    if (!entry.running) void this.run(dir, entry);
    return done;
  }

  /** Closes the directories kept open (a sync after this opens its own). */
  close(): void {
    this.handles.close();
  }

  private async run(
    dir: string,
    s: { running: boolean; waiting: { resolve: () => void; reject: (e: unknown) => void }[] },
  ): Promise<void> {
    s.running = true;
    while (s.waiting.length > 0) {
      const batch = s.waiting.splice(0);
      try {
        await syncDirectory(dir, this.handles);
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    s.running = false;
    this.state.delete(dir);
  }
}
