/**
 * What landed where: every message in every Maildir of every host (under the Maildir root the
 * running plan names for it, laid out as state-layout.ts says), indexed by the probe token
 * verify put in it. Read incrementally (each file once), since verify polls until
 * the expected copies have arrived.
 *
 * Reads are synchronous: the files were just written and sit in the page cache, and the built-in
 * engine's relays share this thread, so CPU is what counts. A full scan of the hosting example's
 * 4,481 mailboxes costs about 0.2 s of CPU this way and 0.9 s through fs promises (a thread-pool
 * round trip per directory and four per file). A full scan yields to the event loop between
 * batches of mailboxes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { mailboxAddress, mailboxDir } from '../state-layout.js';

/** Mailboxes read between two turns of the event loop during a full scan. */
const SCAN_BATCH = 64;

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
  /** Waiters for the next hint (nextTouch). */
  private readonly waiting = new Set<() => void>();
  private touchCount = 0;
  /** Per mailbox ("host address"): how many messages were read, and the probes among them. */
  private readonly held = new Map<string, { messages: number; probes: string[] }>();

  /** `roots`: each host's Maildir root, by host id. */
  constructor(private readonly roots: ReadonlyMap<string, string>) {}

  /** Reads every file that arrived in any mailbox since the last scan. */
  async scan(): Promise<void> {
    const mailboxes: { hostId: string; address: string }[] = [];
    for (const [hostId, root] of this.roots) {
      for (const domain of list(root)) {
        for (const directory of list(join(root, domain)))
          mailboxes.push({ hostId, address: mailboxAddress(domain, directory) });
      }
    }
    await this.scanMailboxes(mailboxes);
  }

  /** scanMailbox for each, letting the engine (the built-in one shares this thread) run between batches. */
  async scanMailboxes(mailboxes: Iterable<{ readonly hostId: string; readonly address: string }>): Promise<void> {
    let read = 0;
    for (const { hostId, address } of mailboxes) {
      this.scanMailbox(hostId, address);
      if (++read % SCAN_BATCH === 0) await yieldToEventLoop();
    }
  }

  /**
   * A hint from the relays' log: something was delivered to this mailbox. Polling reads such
   * mailboxes first; the files themselves stay the only evidence of what arrived.
   */
  touch(hostId: string, address: string): void {
    this.touched.add(`${hostId} ${address}`);
    this.touchCount++;
    if (this.waiting.size === 0) return;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const wake of waiting) wake();
  }

  /** How many hints have come so far: a caller compares two counts to tell whether one came between. */
  get touches(): number {
    return this.touchCount;
  }

  /** Resolves at the next hint, or after `ms` without one. */
  nextTouch(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }

  wasTouched(hostId: string, address: string): boolean {
    return this.touched.has(`${hostId} ${address}`);
  }

  /** Reads what arrived in one mailbox since the last scan (cheap enough to poll). */
  scanMailbox(hostId: string, address: string): void {
    this.touched.delete(`${hostId} ${address}`);
    const root = this.roots.get(hostId);
    if (root === undefined) return;
    const base = mailboxDir(root, address);
    for (const sub of ['new', 'cur']) {
      const dir = join(base, sub);
      for (const name of list(dir)) {
        // A message keeps its unique name when a reader moves it from new/ to cur/ and adds its
        // flags after a colon (the Maildir specification): the same message, not a second one.
        const unique = `${base}\0${name.split(':')[0]}`;
        if (this.seen.has(unique)) continue;
        this.seen.add(unique);
        const file = join(dir, name);
        let text: string;
        try {
          text = readFileSync(file, 'latin1');
        } catch {
          this.seen.delete(unique); // moved to cur/ meanwhile: read it there
          continue;
        }
        this.index(hostId, address, file, text);
        const key = `${hostId} ${address}`;
        const held = this.held.get(key) ?? { messages: 0, probes: [] };
        held.messages++;
        this.held.set(key, held);
      }
    }
  }

  /** What one mailbox held when last read: how many messages, and the probe tokens among them (DSNs left out). */
  contents(hostId: string, address: string): { readonly messages: number; readonly probes: readonly string[] } {
    return this.held.get(`${hostId} ${address}`) ?? { messages: 0, probes: [] };
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
    // A host that hands the message to itself (an MTA to its mailbox server over LMTP) adds a
    // Received header of its own (RFC 5321 §4.4), and is still one hop.
    const trail = headerValues(header, 'Received')
      .map((r) => /\bby\s+(\S+)/i.exec(r)?.[1]?.toLowerCase() ?? '?')
      .reverse()
      .filter((by, i, all) => i === 0 || by !== all[i - 1]);
    const copy: Copy = { hostId, address, file, trail, dsn: dsn && probe === undefined };
    this.copies.set(token, [...(this.copies.get(token) ?? []), copy]);
    if (!copy.dsn) {
      const key = `${hostId} ${address}`;
      const held = this.held.get(key) ?? { messages: 0, probes: [] };
      held.probes.push(token);
      this.held.set(key, held);
    }
  }
}

/** A directory's entries; none when it does not exist (yet). */
function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function unfold(header: string): string {
  return header.replace(/\r?\n[ \t]+/g, ' ');
}

function headerValues(header: string, name: string): string[] {
  const pattern = new RegExp(`^${name}:\\s*(.*)$`, 'gim');
  return [...header.matchAll(pattern)].map((m) => m[1]!.trim());
}
