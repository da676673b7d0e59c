/**
 * The queue's durable store: an append-only spool with group commit.
 *
 * Why not one file per message: on this kind of disk, creating, renaming and deleting a file
 * costs about as much as the Maildir delivery itself (research/perf-anchors.md §3.4), so a queue
 * hop with its own file would halve the two-hop rate. Instead every accepted message is appended
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
 * lost while the message it completes is still on disk. (A message deferred for long keeps later
 * segments on disk; there is no compaction yet, which is fine at sandbox volumes.)
 */
import { crc32 } from 'node:zlib';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

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

export interface BodyRef {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

export interface RecoveredMessage {
  readonly envelope: StoredEnvelope;
  readonly body: BodyRef;
  /** Targets already delivered or failed, by address. */
  readonly done: ReadonlyMap<string, DoneOutcome>;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  writer: FileHandle | undefined;
  reader: FileHandle | undefined;
  /** Bytes of records written. */
  size: number;
  /** Bytes written ahead (zeros) for records to overwrite. */
  allocated: number;
  live: number;
  /** A write failed: the tail may be torn, so nothing more is appended here. */
  broken: boolean;
}

interface PendingWrite {
  readonly bytes: Buffer;
  /** Offset of the body inside the record, for message records. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  readonly durable: boolean;
  readonly id: string;
  readonly isMessage: boolean;
  resolve(ref: BodyRef): void;
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
  private readonly messageSegment = new Map<string, number>();
  private current!: Segment;
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
    await spool.startSegment();
    spool.collectGarbage();
    return { spool, recovered };
  }

  /** Appends a message; resolves once it is on stable storage. */
  appendMessage(envelope: StoredEnvelope, body: Buffer): Promise<BodyRef> {
    const json = Buffer.from(`${JSON.stringify(envelope)}\n`);
    return this.enqueue(envelope.id, true, true, [json, body], json.length, body.length);
  }

  /** Records that targets left the queue; not waited for (see the module comment). */
  appendDone(id: string, targets: readonly string[], outcome: DoneOutcome): void {
    if (targets.length === 0) return;
    this.enqueue(id, false, false, [Buffer.from(JSON.stringify({ targets, outcome }))], 0, 0).catch(() => {
      // A lost D record only means a repeated attempt later, absorbed downstream.
    });
  }

  /** The message left the queue for good: its segment may go once nothing older is live. */
  release(id: string): void {
    const seq = this.messageSegment.get(id);
    if (seq === undefined) return;
    this.messageSegment.delete(id);
    const segment = this.segments.get(seq);
    if (segment) segment.live--;
    this.collectGarbage();
  }

  async readBody(ref: BodyRef): Promise<Buffer> {
    const segment = this.segments.get(ref.segment);
    if (!segment) throw new Error(`spool segment ${ref.segment} is gone`);
    segment.reader ??= await open(segment.path, 'r');
    const buffer = Buffer.alloc(ref.length);
    const { bytesRead } = await segment.reader.read(buffer, 0, ref.length, ref.offset);
    if (bytesRead !== ref.length) throw new Error(`spool segment ${ref.segment} is short at ${ref.offset}`);
    return buffer;
  }

  /** Segments on disk, live messages, and fdatasyncs so far (fewer than messages: group commit). */
  stats(): { segments: number; live: number; commits: number } {
    let live = 0;
    for (const s of this.segments.values()) live += s.live;
    return { segments: this.segments.size, live, commits: this.commits };
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    for (const segment of this.segments.values()) await closeHandles(segment);
  }

  private enqueue(id: string, isMessage: boolean, durable: boolean, parts: Buffer[], bodyOffsetInPayload: number, bodyLength: number): Promise<BodyRef> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const header = Buffer.from(`${MAGIC} ${isMessage ? 'M' : 'D'} ${id} ${payload.length} ${crc32(payload).toString(16).padStart(8, '0')}\n`);
    const bytes = Buffer.concat([header, payload, NEWLINE]);
    return new Promise<BodyRef>((resolve, reject) => {
      this.pending.push({ bytes, bodyOffset: header.length + bodyOffsetInPayload, bodyLength, durable, id, isMessage, resolve, reject });
      this.flushing ??= this.flush();
    });
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
      if (this.current.broken || this.current.size >= this.segmentBytes) {
        try {
          await this.startSegment();
        } catch (error) {
          for (const w of this.pending.splice(0)) w.reject(error);
          continue;
        }
        this.collectGarbage();
      }
      const segment = this.current;
      const batch = this.pending.splice(0);
      const refs: BodyRef[] = [];
      let offset = segment.size;
      for (const w of batch) {
        refs.push({ segment: segment.seq, offset: offset + w.bodyOffset, length: w.bodyLength });
        offset += w.bytes.length;
      }
      try {
        if (offset > segment.allocated) {
          // Extend in place; the fdatasync below makes the new length durable once per PREALLOCATE.
          const grow = Math.max(PREALLOCATE, offset - segment.allocated);
          await writeAll(segment.writer!, [Buffer.alloc(grow)], segment.allocated);
          segment.allocated += grow;
        }
        await writeAll(segment.writer!, batch.map((w) => w.bytes), segment.size);
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
        if (w.isMessage) {
          segment.live++;
          this.messageSegment.set(w.id, segment.seq);
        }
        w.resolve(refs[i]!);
      });
    }
  }

  private async startSegment(): Promise<void> {
    const seq = Math.max(0, ...this.segments.keys()) + 1;
    const path = join(this.dir, `segment-${String(seq).padStart(6, '0')}.log`);
    const writer = await open(path, 'wx', 0o600);
    // The new file's directory entry must be durable before any message in it is acknowledged.
    await syncDirectory(this.dir);
    const segment: Segment = { seq, path, writer, reader: undefined, size: 0, allocated: 0, live: 0, broken: false };
    this.segments.set(seq, segment);
    const previous = this.current as Segment | undefined;
    this.current = segment;
    if (previous?.writer) {
      const old = previous.writer;
      previous.writer = undefined;
      await old.close();
    }
  }

  /** Deletes the oldest segments while none of their messages is live. */
  private collectGarbage(): void {
    for (const seq of [...this.segments.keys()].sort((a, b) => a - b)) {
      const segment = this.segments.get(seq)!;
      if (segment === this.current || segment.live > 0) return;
      this.segments.delete(seq);
      void closeHandles(segment).then(() => rm(segment.path, { force: true }));
    }
  }

  private async replay(): Promise<RecoveredMessage[]> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const messages = new Map<string, { envelope: StoredEnvelope; body: BodyRef; done: Map<string, DoneOutcome> }>();
    for (const name of names) {
      const seq = Number(SEGMENT_NAME.exec(name)![1]);
      const path = join(this.dir, name);
      const bytes = await readFile(path);
      const segment: Segment = { seq, path, writer: undefined, reader: undefined, size: bytes.length, allocated: bytes.length, live: 0, broken: true };
      this.segments.set(seq, segment);
      for (const record of parseRecords(bytes)) {
        if (record.type === 'M') {
          if (messages.has(record.id)) continue;
          const nl = record.payload.indexOf(0x0a);
          const envelope = JSON.parse(record.payload.subarray(0, nl).toString('utf8')) as StoredEnvelope;
          messages.set(record.id, { envelope, body: { segment: seq, offset: record.payloadOffset + nl + 1, length: record.payload.length - nl - 1 }, done: new Map() });
          this.messageSegment.set(record.id, seq);
          segment.live++;
        } else {
          const message = messages.get(record.id);
          if (!message) continue; // its message record was in a segment already deleted
          const { targets, outcome } = JSON.parse(record.payload.toString('utf8')) as { targets: string[]; outcome: DoneOutcome };
          for (const t of targets) message.done.set(t, outcome);
        }
      }
    }
    return [...messages.values()];
  }
}

const NEWLINE = Buffer.from('\n');

interface ParsedRecord {
  readonly type: 'M' | 'D';
  readonly id: string;
  readonly payload: Buffer;
  readonly payloadOffset: number;
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
    yield { type: m[1] as 'M' | 'D', id: m[2]!, payload, payloadOffset: start };
    pos = end + 1;
  }
}

/** Writes the buffers at `position`, finishing a short write. */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const first = (await handle.writev(buffers, position)).bytesWritten;
  if (first === total) return;
  const rest = Buffer.concat(buffers).subarray(first);
  for (let done = 0; done < rest.length; ) done += (await handle.write(rest, done, rest.length - done, position + first + done)).bytesWritten;
}

async function closeHandles(segment: Segment): Promise<void> {
  const handles = [segment.writer, segment.reader];
  segment.writer = undefined;
  segment.reader = undefined;
  for (const h of handles) await h?.close().catch(() => {});
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
