/**
 * What landed where: every message in every Maildir of the sandbox's state directory, indexed by
 * the probe token verify put in it. Read incrementally (each file once), since verify polls until
 * the expected copies have arrived.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mailboxAddress, mailboxDir } from '../mail/maildir.js';
import { inParallel } from './parallel.js';

export const PROBE_HEADER = 'X-Mxplan-Probe';

export interface Copy {
  readonly hostId: string;
  readonly address: string;
  readonly file: string;
  /** The `by` names of the Received headers, oldest hop first. */
  readonly trail: readonly string[];
  /** A delivery status notification (RFC 3464) about the probe, not the probe itself. */
  readonly dsn: boolean;
}

export class MailboxIndex {
  private readonly seen = new Set<string>();
  private readonly copies = new Map<string, Copy[]>();
  /** Mailboxes a relay reported a delivery to since they were last read ("host address"). */
  private readonly touched = new Set<string>();

  constructor(private readonly stateDir: string, private readonly hostIds: readonly string[]) {}

  /** Reads every file that arrived in any mailbox since the last scan. */
  async scan(): Promise<void> {
    const mailboxes: [string, string][] = [];
    for (const hostId of this.hostIds) {
      const root = join(this.stateDir, hostId, 'maildir');
      for (const domain of await list(root)) {
        for (const directory of await list(join(root, domain))) mailboxes.push([hostId, mailboxAddress(domain, directory)]);
      }
    }
    // Each read waits on the disk, not the CPU: several at once.
    await inParallel(mailboxes, 16, ([hostId, address]) => this.scanMailbox(hostId, address));
  }

  /**
   * A hint from the relays' log: something was delivered to this mailbox. Polling reads such
   * mailboxes first; the files themselves stay the only evidence of what arrived.
   */
  touch(hostId: string, address: string): void {
    this.touched.add(`${hostId} ${address}`);
  }

  wasTouched(hostId: string, address: string): boolean {
    return this.touched.has(`${hostId} ${address}`);
  }

  /** Reads what arrived in one mailbox since the last scan (cheap enough to poll). */
  async scanMailbox(hostId: string, address: string): Promise<void> {
    this.touched.delete(`${hostId} ${address}`);
    const base = mailboxDir(join(this.stateDir, hostId, 'maildir'), address);
    for (const sub of ['new', 'cur']) {
      const dir = join(base, sub);
      for (const name of await list(dir)) {
        const file = join(dir, name);
        if (this.seen.has(file)) continue;
        this.seen.add(file);
        this.index(hostId, address, file, await readFile(file, 'latin1'));
      }
    }
  }

  /** Every copy that carries `token`, the probe itself and DSNs about it. */
  copiesOf(token: string): readonly Copy[] {
    return this.copies.get(token) ?? [];
  }

  private index(hostId: string, address: string, file: string, text: string): void {
    const end = text.search(/\r?\n\r?\n/);
    const header = unfold(end < 0 ? text : text.slice(0, end));
    const probe = headerValues(header, PROBE_HEADER)[0];
    const dsn = /^content-type:\s*multipart\/report/im.test(header);
    // A DSN carries the probe's headers in its body (text/rfc822-headers): find the token there.
    const token = probe ?? (dsn ? new RegExp(`^${PROBE_HEADER}:\\s*(\\S+)`, 'im').exec(text)?.[1] : undefined);
    if (!token) return;
    const trail = headerValues(header, 'Received').map((r) => /\bby\s+(\S+)/i.exec(r)?.[1]?.toLowerCase() ?? '?').reverse();
    const copy: Copy = { hostId, address, file, trail, dsn: dsn && probe === undefined };
    this.copies.set(token, [...(this.copies.get(token) ?? []), copy]);
  }
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

function unfold(header: string): string {
  return header.replace(/\r?\n[ \t]+/g, ' ');
}

function headerValues(header: string, name: string): string[] {
  const pattern = new RegExp(`^${name}:\\s*(.*)$`, 'gim');
  return [...header.matchAll(pattern)].map((m) => m[1]!.trim());
}
