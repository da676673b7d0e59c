/**
 * The queue's durable store: an append-only spool with group commit.
 *
 * Why not one file per message: on a VM disk, creating, renaming and deleting a file costs about
 * as much as the Maildir delivery itself (each create and rename is an ext4 journal commit, about
 * 1 ms of kernel time, next to 0.3 ms for an in-place synced write), so a queue hop with its own
 * file would halve the two-hop rate. Instead every accepted message is appended
 * to the current segment, and all appends that arrive while one fdatasync runs share the next one
 * (group commit). A 250 is given only after the fdatasync that covers the message (RFC 5321 §6.1).
 *
 * Records (plain text framing, so `less` shows envelopes and messages):
 *
 *   MXQ1 M <id> <length> <crc32>\n<envelope JSON>\n<message>\n    a message taken into the queue
 *   MXQ1 D <id> <length> <crc32>\n<JSON {targets, outcome}>\n       targets that left the queue
 *
 * D records are not waited for: they ride on the next commit. Losing one in a crash means the
 * targets are attempted again, which the next hop's duplicate check absorbs (see trace.ts).
 * Replay stops at the first torn or corrupt record of a segment (an unacknowledged tail).
 *
 * Segments are written ahead with zeros (PREALLOCATE bytes at a time), and records overwrite
 * them in place: an fdatasync then flushes data blocks only, without the journal commit that
 * growing a file costs on every sync (the trick write-ahead logs use). Replay stops at the
 * zeros, as at any other byte that does not start a record.
 *
 * Segments are deleted oldest first once none of their messages is live, so a D record is never
 * lost while the message it completes is still on disk. A message deferred for days would keep
 * every later segment on disk, so once the oldest segment is mostly dead and others wait behind
 * it, its live messages are copied forward (the M record as it is, then one D record with the
 * targets already done), and it goes. Replay keeps the first M record of an id, so a crash during
 * the copy leaves one message either way; disk use stays near twice the queued bytes plus a
 * segment.
 *
 * A full disk (ENOSPC) shows where the zeros are written ahead: the appends of that batch fail
 * (the relay answers 452) and nothing of them reached the segment, which stays current, so a
 * full disk makes no new files however often it is tried, and the first append once space
 * returns goes on where the last one stopped. A segment that holds no record at all (its start
 * found no room) is removed wherever it stands; a spool opened on a full disk starts its
 * segment at its first append.
 */
import { crc32 } from 'node:zlib';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './sync-directory.js';

export interface StoredEnvelope {
  readonly id: string;
  /** "" for the null reverse-path (a DSN). */
  readonly from: string;
  /** As accepted at RCPT (or generated here), canonical. */
  readonly recipients: readonly string[];
  /** `internal` for messages generated here (DSNs): they may be relayed anywhere. */
  readonly origin: 'inbound' | 'internal';
  /** When this host accepted it, ms: the queue lifetime counts from here. */
  readonly arrival: number;
  readonly client?: { readonly helo: string; readonly address: string };
}

export type DoneOutcome = 'delivered' | 'failed';

interface BodyRef {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

export interface RecoveredMessage {
  readonly envelope: StoredEnvelope;
  /** Targets already delivered or failed, by address. */
  readonly done: ReadonlyMap<string, DoneOutcome>;
}

/** Where a live message's M record is, and what of it is done (for a copy forward). */
interface LiveMessage {
  segment: number;
  record: { offset: number; length: number };
  body: BodyRef;
  readonly done: Map<string, DoneOutcome>;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  writer: FileHandle | undefined;
  /** Opened on the first read; a promise, so that parallel first reads share one handle. */
  reader: Promise<FileHandle> | undefined;
  /** Bytes of records written. */
  size: number;
  /** Bytes written ahead (zeros) for records to overwrite. */
  allocated: number;
  live: number;
  /** Bytes of the live messages' M records (a segment mostly dead is worth compacting). */
  liveBytes: number;
  /** A write failed: the tail may be torn, so nothing more is appended here. */
  broken: boolean;
}

interface PendingWrite {
  /** The record, in the pieces it was made of (written with one writev, never copied together). */
  readonly parts: readonly Buffer[];
  /** Its length in bytes. */
  readonly length: number;
  /** Offset of the body inside the record, for message records. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  readonly durable: boolean;
  readonly id: string;
  /** An M record: new, or a live message's record copied forward. */
  readonly message: 'new' | 'copy' | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

const MAGIC = 'MXQ1';
/** Zeros written ahead of the records at a time. */
const PREALLOCATE = 1024 * 1024;
const SEGMENT_NAME = /^segment-(\d{6,})\.log$/;

export interface SpoolOptions {
  /** Start a new segment once the current one is this large. */
  readonly segmentBytes?: number;
}

export class Spool {
  private readonly segments = new Map<number, Segment>();
  private readonly live = new Map<string, LiveMessage>();
  /** Where records go; undefined until a segment could be started (a full disk at open). */
  private current: Segment | undefined;
  private compaction: Promise<void> | undefined;
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private commits = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Opens (or creates) the spool and replays it. */
  static async open(dir: string, options: SpoolOptions = {}): Promise<{ spool: Spool; recovered: RecoveredMessage[] }> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir, options.segmentBytes ?? 16 * 1024 * 1024);
    const recovered = await spool.replay();
    // A full disk must not stop a start: the first append starts the segment instead (flush).
    await spool.startSegment().catch(() => {});
    spool.collectGarbage();
    return { spool, recovered };
  }

  /** Appends a message; resolves once it is on stable storage. */
  appendMessage(envelope: StoredEnvelope, body: Buffer): Promise<void> {
    const json = Buffer.from(`${JSON.stringify(envelope)}\n`);
    return this.enqueue(envelope.id, 'new', true, [json, body], json.length, body.length);
  }

  /** Records that targets left the queue; not waited for (see the module comment). */
  appendDone(id: string, targets: readonly string[], outcome: DoneOutcome): void {
    if (targets.length === 0) return;
    const message = this.live.get(id);
    for (const t of targets) message?.done.set(t, outcome);
    this.appendDoneRecord(id, targets, outcome, false).catch(() => {
      // A lost D record only means a repeated attempt later, absorbed downstream.
    });
  }

  /** The message left the queue for good: its segment may go once nothing older is live. */
  release(id: string): void {
    const message = this.live.get(id);
    if (!message) return;
    this.live.delete(id);
    const segment = this.segments.get(message.segment);
    if (segment) count(segment, message, -1);
    this.collectGarbage();
  }

  /** Whether a message with this id is live here. */
  holds(id: string): boolean {
    return this.live.has(id);
  }

  /** The body of a live message. */
  async readBody(id: string): Promise<Buffer> {
    const message = this.live.get(id);
    if (!message) throw new Error(`spool holds no message ${id}`);
    return this.read(message.segment, message.body.offset, message.body.length);
  }

  /** The body's length in bytes of a live message (Postfix's message_size), undefined for any other. */
  messageSize(id: string): number | undefined {
    return this.live.get(id)?.body.length;
  }

  /** Segments on disk, live messages, and fdatasyncs so far (fewer than messages: group commit). */
  stats(): { segments: number; live: number; commits: number } {
    return { segments: this.segments.size, live: this.live.size, commits: this.commits };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.compaction;
    while (this.flushing) await this.flushing;
    for (const segment of this.segments.values()) await closeHandles(segment);
  }

  private appendDoneRecord(
    id: string,
    targets: readonly string[],
    outcome: DoneOutcome,
    durable: boolean,
  ): Promise<void> {
    return this.enqueue(id, undefined, durable, [Buffer.from(JSON.stringify({ targets, outcome }))], 0, 0);
  }

  private enqueue(
    id: string,
    message: PendingWrite['message'],
    durable: boolean,
    parts: Buffer[],
    bodyOffsetInPayload: number,
    bodyLength: number,
  ): Promise<void> {
    // The record is never assembled: the checksum runs over the parts, and writev writes them.
    let length = 0;
    let checksum = 0;
    for (const part of parts) {
      length += part.length;
      checksum = crc32(part, checksum);
    }
    const header = Buffer.from(
      `${MAGIC} ${message ? 'M' : 'D'} ${id} ${length} ${checksum.toString(16).padStart(8, '0')}\n`,
    );
    return this.enqueueRecord({
      parts: [header, ...parts, NEWLINE],
      length: header.length + length + NEWLINE.length,
      bodyOffset: header.length + bodyOffsetInPayload,
      bodyLength,
      durable,
      id,
      message,
    });
  }

  private enqueueRecord(write: Omit<PendingWrite, 'resolve' | 'reject'>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ...write, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async read(seq: number, offset: number, length: number): Promise<Buffer> {
    const segment = this.segments.get(seq);
    if (!segment) throw new Error(`spool segment ${seq} is gone`);
    segment.reader ??= open(segment.path, 'r');
    const reader = segment.reader;
    reader.catch(() => segment.reader === reader && (segment.reader = undefined)); // try again next time
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await (await reader).read(buffer, 0, length, offset);
    if (bytesRead !== length) throw new Error(`spool segment ${seq} is short at ${offset}`);
    return buffer;
  }

  /**
   * The group-commit loop: one write and at most one fdatasync per batch. It clears `flushing` in
   * the same tick it finds nothing pending, so an append never waits on a loop that has ended.
   */
  private async flush(): Promise<void> {
    for (;;) {
      if (this.pending.length === 0) {
        this.flushing = undefined;
        return;
      }
      if (!this.current || this.current.broken || this.current.size >= this.segmentBytes) {
        try {
          await this.startSegment();
        } catch (error) {
          for (const w of this.pending.splice(0)) w.reject(error);
          continue;
        }
        this.collectGarbage();
      }
      const segment = this.current!;
      const batch = this.pending.splice(0);
      const starts: number[] = [];
      let offset = segment.size;
      for (const w of batch) {
        starts.push(offset);
        offset += w.length;
      }
      try {
        await this.preallocate(segment, offset);
      } catch (error) {
        // Nothing of the batch was written (the zeros past the records are what replay stops at
        // anyway): the segment is intact and stays current, so a full disk makes no new segments.
        for (const w of batch) w.reject(error);
        continue;
      }
      try {
        await writeAll(
          segment.writer!,
          batch.flatMap((w) => w.parts),
          segment.size,
        );
        segment.size = offset;
        if (batch.some((w) => w.durable)) {
          await segment.writer!.datasync();
          this.commits++;
        }
      } catch (error) {
        segment.broken = true;
        for (const w of batch) w.reject(error);
        continue;
      }
      batch.forEach((w, i) => {
        if (w.message) this.place(w, segment, starts[i]!);
        w.resolve();
      });
    }
  }

  /**
   * Extends the segment with zeros to hold `end` bytes; the fdatasync after the records makes the
   * new length durable once per PREALLOCATE. When a whole PREALLOCATE does not fit (a nearly full
   * disk), just what the batch needs is tried.
   */
  private async preallocate(segment: Segment, end: number): Promise<void> {
    if (end <= segment.allocated) return;
    const needed = end - segment.allocated;
    for (const grow of needed < PREALLOCATE ? [PREALLOCATE, needed] : [needed]) {
      try {
        await writeAll(segment.writer!, [Buffer.alloc(grow)], segment.allocated);
        segment.allocated += grow;
        return;
      } catch (error) {
        if (grow === needed) throw error;
      }
    }
  }

  private async startSegment(): Promise<void> {
    const seq = Math.max(0, ...this.segments.keys()) + 1;
    const path = join(this.dir, `segment-${String(seq).padStart(6, '0')}.log`);
    const writer = await open(path, 'wx', 0o600);
    try {
      // The new file's directory entry must be durable before any message in it is acknowledged.
      await syncDirectory(this.dir);
    } catch (error) {
      // Not a segment yet: leave no file behind (the next attempt takes the same name).
      await writer.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
      throw error;
    }
    const segment: Segment = {
      seq,
      path,
      writer,
      reader: undefined,
      size: 0,
      allocated: 0,
      live: 0,
      liveBytes: 0,
      broken: false,
    };
    this.segments.set(seq, segment);
    const previous = this.current;
    this.current = segment;
    if (previous?.writer) {
      const old = previous.writer;
      previous.writer = undefined;
      await old.close();
    }
  }

  /** An M record is on disk: a new message becomes live there, a copied one moves there. */
  private place(w: PendingWrite, segment: Segment, start: number): void {
    const location = {
      segment: segment.seq,
      record: { offset: start, length: w.length },
      body: { segment: segment.seq, offset: start + w.bodyOffset, length: w.bodyLength },
    };
    let message = this.live.get(w.id);
    if (w.message === 'new') {
      message = { ...location, done: new Map() };
      this.live.set(w.id, message);
    } else {
      if (!message || message.segment >= segment.seq) return; // released while it was copied
      count(this.segments.get(message.segment)!, message, -1);
      Object.assign(message, location);
    }
    count(segment, message, 1);
  }

  /**
   * Deletes the oldest segments while none of their messages is live, then compacts the oldest if
   * it pins others. A segment without a single record (its writes failed: a full disk) holds
   * nothing anyone needs, and goes wherever it is.
   */
  private collectGarbage(): void {
    let pinned = false;
    for (const seq of [...this.segments.keys()].sort((a, b) => a - b)) {
      const segment = this.segments.get(seq)!;
      if (segment === this.current) return;
      if (segment.size === 0) {
        this.remove(segment);
        continue;
      }
      if (pinned) continue;
      if (segment.live > 0) {
        pinned = true;
        if (this.segments.size > 2 && !this.compaction && !this.closed && segment.liveBytes * 2 <= segment.size)
          this.compaction = this.compact(segment);
        continue;
      }
      this.remove(segment);
    }
  }

  private remove(segment: Segment): void {
    this.segments.delete(segment.seq);
    // A segment that cannot be removed now is only disk space; the next start removes it.
    void closeHandles(segment)
      .then(() => rm(segment.path, { force: true }))
      .catch(() => {});
  }

  /** Copies the live messages of `segment` forward, durably, so that it (and what it pins) can go. */
  private async compact(segment: Segment): Promise<void> {
    const copies: Promise<void>[] = [];
    // Each copy is observed at once: one that fails while the next record is read (a full disk)
    // must not be an unhandled rejection; Promise.all below still sees it.
    const keep = (copy: Promise<void>) => {
      copy.catch(() => {});
      copies.push(copy);
    };
    try {
      for (const [id, message] of this.live) {
        if (message.segment !== segment.seq) continue;
        const bytes = await this.read(segment.seq, message.record.offset, message.record.length);
        if (this.live.get(id) !== message || message.segment !== segment.seq) continue; // released or moved meanwhile
        const bodyOffset = message.body.offset - message.record.offset;
        keep(
          this.enqueueRecord({
            parts: [bytes],
            length: bytes.length,
            bodyOffset,
            bodyLength: message.body.length,
            durable: true,
            id,
            message: 'copy',
          }),
        );
        // Appended after the copy and before any later D record: replay sees what was done.
        const byOutcome = new Map<DoneOutcome, string[]>();
        for (const [target, outcome] of message.done)
          byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), target]);
        for (const [outcome, targets] of byOutcome) keep(this.appendDoneRecord(id, targets, outcome, true));
      }
      await Promise.all(copies);
    } catch {
      // The segment stays; the next release tries again (not now: a full disk would spin).
      this.compaction = undefined;
      return;
    }
    this.compaction = undefined;
    this.collectGarbage();
  }

  private async replay(): Promise<RecoveredMessage[]> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const messages = new Map<string, { envelope: StoredEnvelope; done: Map<string, DoneOutcome> }>();
    for (const name of names) {
      const seq = Number(SEGMENT_NAME.exec(name)![1]);
      const path = join(this.dir, name);
      const bytes = await readFile(path);
      const segment: Segment = {
        seq,
        path,
        writer: undefined,
        reader: undefined,
        size: 0, // the end of its last record, below
        allocated: bytes.length,
        live: 0,
        liveBytes: 0,
        broken: true,
      };
      this.segments.set(seq, segment);
      for (const record of parseRecords(bytes)) {
        segment.size = record.offset + record.length;
        if (record.type === 'M') {
          if (messages.has(record.id)) continue;
          const nl = record.payload.indexOf(0x0a);
          const envelope = JSON.parse(record.payload.subarray(0, nl).toString('utf8')) as StoredEnvelope;
          const done = new Map<string, DoneOutcome>();
          messages.set(record.id, { envelope, done });
          const body = { segment: seq, offset: record.payloadOffset + nl + 1, length: record.payload.length - nl - 1 };
          const message = { segment: seq, record: { offset: record.offset, length: record.length }, body, done };
          this.live.set(record.id, message);
          count(segment, message, 1);
        } else {
          const message = messages.get(record.id);
          if (!message) continue; // its message record was in a segment already deleted
          const { targets, outcome } = JSON.parse(record.payload.toString('utf8')) as {
            targets: string[];
            outcome: DoneOutcome;
          };
          for (const t of targets) message.done.set(t, outcome);
        }
      }
    }
    return [...messages.values()];
  }
}

const NEWLINE = Buffer.from('\n');

/** A live message joins (+1) or leaves (-1) a segment's counts. */
function count(segment: Segment, message: LiveMessage, sign: 1 | -1): void {
  segment.live += sign;
  segment.liveBytes += sign * message.record.length;
}

interface ParsedRecord {
  readonly type: 'M' | 'D';
  readonly id: string;
  readonly payload: Buffer;
  readonly payloadOffset: number;
  /** The whole record: header, payload and the closing newline. */
  readonly offset: number;
  readonly length: number;
}

/** Records of one segment, up to the first torn or corrupt one. */
export function* parseRecords(bytes: Buffer): Generator<ParsedRecord> {
  let pos = 0;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0 || nl - pos > 200) return;
    const m = /^MXQ1 ([MD]) ([A-Za-z0-9]+) (\d+) ([0-9a-f]{8})$/.exec(bytes.toString('latin1', pos, nl));
    if (!m) return;
    const start = nl + 1;
    const end = start + Number(m[3]);
    if (end >= bytes.length || bytes[end] !== 0x0a) return;
    const payload = bytes.subarray(start, end);
    if (crc32(payload) !== parseInt(m[4]!, 16)) return;
    yield { type: m[1] as 'M' | 'D', id: m[2]!, payload, payloadOffset: start, offset: pos, length: end + 1 - pos };
    pos = end + 1;
  }
}

/** Writes the buffers at `position`, finishing a short write. */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const first = (await handle.writev(buffers, position)).bytesWritten;
  if (first === total) return;
  const rest = Buffer.concat(buffers).subarray(first);
  for (let done = 0; done < rest.length;)
    done += (await handle.write(rest, done, rest.length - done, position + first + done)).bytesWritten;
}

async function closeHandles(segment: Segment): Promise<void> {
  const handles: (FileHandle | Promise<FileHandle> | undefined)[] = [segment.writer, segment.reader];
  segment.writer = undefined;
  segment.reader = undefined;
  for (const h of handles)
    await Promise.resolve(h)
      .then((handle) => handle?.close())
      .catch(() => {});
}
