/**
 * A log of one JSON object per line (NDJSON) that never stops or slows the server writing it:
 * `mxplan dns --log` writes one entry per query through it.
 *
 * - Writing never blocks and never throws. Lines wait in a queue of at most `maxQueuedBytes`;
 *   one write is in flight at a time. A reader slower than the queries, or gone, costs entries,
 *   not memory: what does not fit is dropped and counted.
 * - A closed reader (EPIPE, `--log - | head -1`) or a failing file (ENOSPC) ends the log, not
 *   the server: `onBroken` hears of it once, and every later entry counts as dropped.
 * - Writes are whole lines of at most PIPE_BUF (4096) octets where the lines allow, so several
 *   processes appending to one pipe or O_APPEND file never interleave inside a line.
 * - Standard output: a pipe or socket gets its own non-blocking handle on fd 1 (process.stdout's
 *   cannot be closed, and a write pending there would keep the process alive after a stop); a
 *   file or terminal is written synchronously, where EAGAIN (a non-blocking descriptor shared
 *   with another process) drops that write and goes on.
 */
import { createWriteStream, fstatSync, writeSync, type Stats } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { ResourceError } from './errors.js';

export interface NdjsonSinkOptions {
  /** Queued octets beyond which entries are dropped; default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** How long close() waits for the queue to drain before dropping the rest; default 2 s. */
  readonly closeGraceMs?: number;
  /** Told once when the log can no longer be written (the reader went away, the disk is full). */
  readonly onBroken?: (error: Error) => void;
}

export interface NdjsonSinkStats {
  /** Entries handed to the system. */
  readonly written: number;
  /** Entries that never reached it (queue full, log broken, still queued at close). */
  readonly dropped: number;
}

/** A write's end: done, dropped but the log goes on (EAGAIN), or the log is broken. */
type Sent = 'ok' | 'dropped' | Error;

interface Output {
  send(chunk: string, done: (sent: Sent) => void): void;
  /** Ends the output once everything sent is written (a file is closed; fd 1 stays open). */
  finish(): Promise<void>;
  /** Gives up on what is in flight and lets go of the descriptor. */
  abandon(): void;
}

/** PIPE_BUF on Linux: the largest write to a pipe the kernel keeps whole. */
const ATOMIC_WRITE = 4096;

export class NdjsonSink {
  private readonly maxQueuedBytes: number;
  private readonly closeGraceMs: number;
  private readonly queue: string[] = [];
  /** The octets of each queued line. */
  private readonly sizes: number[] = [];
  /** Index of the oldest queued line (the arrays are compacted now and then, not shifted). */
  private first = 0;
  private queuedBytes = 0;
  /** Lines in the write in flight, or 0. */
  private inFlight = 0;
  private scheduled = false;
  private broken: Error | undefined;
  private closing = false;
  private drained: (() => void) | undefined;
  private writtenCount = 0;
  private droppedCount = 0;

  constructor(
    private readonly output: Output,
    private readonly options: NdjsonSinkOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1 << 20;
    this.closeGraceMs = options.closeGraceMs ?? 2000;
  }

  get stats(): NdjsonSinkStats {
    return { written: this.writtenCount, dropped: this.droppedCount };
  }

  /** Octets waiting to be written. */
  get queued(): number {
    return this.queuedBytes;
  }

  write(entry: object): void {
    if (this.broken || this.closing) {
      this.droppedCount++;
      return;
    }
    const line = `${JSON.stringify(entry)}\n`;
    const size = Buffer.byteLength(line);
    if (this.queuedBytes + size > this.maxQueuedBytes) {
      this.droppedCount++;
      return;
    }
    this.queue.push(line);
    this.sizes.push(size);
    this.queuedBytes += size;
    // Lines of one turn of the event loop go out together.
    if (this.inFlight === 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued (within closeGraceMs), then ends the output. */
  async close(): Promise<NdjsonSinkStats> {
    if (this.closing) return this.stats;
    this.closing = true;
    if (!this.broken && (this.inFlight > 0 || this.queue.length > this.first)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, this.closeGraceMs);
        if (this.inFlight === 0) this.flush();
      });
      clearTimeout(timer);
    }
    this.drop(this.queue.length - this.first);
    if (this.inFlight > 0 || this.broken) {
      this.drop(this.inFlight);
      this.inFlight = 0;
      this.output.abandon();
    } else {
      await this.output.finish();
    }
    return this.stats;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.inFlight > 0 || this.broken) return;
    if (this.queue.length === this.first) {
      this.drained?.();
      return;
    }
    // Whole lines, up to ATOMIC_WRITE octets (a longer line goes alone).
    let end = this.first;
    let bytes = 0;
    while (end < this.queue.length) {
      const size = this.sizes[end]!;
      if (end > this.first && bytes + size > ATOMIC_WRITE) break;
      bytes += size;
      end++;
    }
    const chunk = end === this.first + 1 ? this.queue[this.first]! : this.queue.slice(this.first, end).join('');
    const lines = end - this.first;
    this.first = end;
    this.queuedBytes -= bytes;
    if (this.first > 1024 && this.first * 2 > this.queue.length) {
      this.queue.splice(0, this.first);
      this.sizes.splice(0, this.first);
      this.first = 0;
    }
    this.inFlight = lines;
    this.output.send(chunk, (sent) => this.sent(lines, sent));
  };

  private sent(lines: number, sent: Sent): void {
    if (this.inFlight !== lines) return; // abandoned at close
    this.inFlight = 0;
    if (sent === 'ok') this.writtenCount += lines;
    else if (sent === 'dropped') this.drop(lines);
    else return this.break(sent, lines);
    this.flush();
  }

  private break(error: Error, lines: number): void {
    this.drop(lines + this.queue.length - this.first);
    this.queue.length = this.sizes.length = this.first = this.queuedBytes = 0;
    if (this.broken) return;
    this.broken = error;
    this.options.onBroken?.(error);
    this.drained?.();
  }

  private drop(lines: number): void {
    this.droppedCount += lines;
  }
}

/** A sink over a stream (a pipe, a socket, a file stream). */
export function streamSink(stream: Writable, options: NdjsonSinkOptions = {}, closeOnFinish = true): NdjsonSink {
  let failure: Error | undefined;
  let pending: ((sent: Sent) => void) | undefined;
  // An 'error' without a listener would end the process; this one ends the log instead.
  stream.on('error', (error) => {
    failure ??= error;
    const done = pending;
    pending = undefined;
    done?.(error);
  });
  return new NdjsonSink(
    {
      send(chunk, done) {
        if (failure) return done(failure);
        pending = done;
        try {
          stream.write(chunk, (error) => {
            if (pending !== done) return;
            pending = undefined;
            done(error ?? 'ok');
          });
        } catch (error) {
          pending = undefined;
          done(error as Error);
        }
      },
      finish: () =>
        closeOnFinish && !stream.destroyed
          ? new Promise<void>((resolve) => {
              stream.once('close', () => resolve());
              stream.end();
            })
          : Promise.resolve(),
      abandon: () => void stream.destroy(),
    },
    options,
  );
}

/** A sink that writes synchronously to a descriptor that is a file or a terminal. */
function fdSink(fd: number, options: NdjsonSinkOptions): NdjsonSink {
  return new NdjsonSink(
    {
      send(chunk, done) {
        let sent: Sent = 'ok';
        try {
          const buffer = Buffer.from(chunk);
          for (let at = 0; at < buffer.length;) at += writeSync(fd, buffer, at);
        } catch (error) {
          sent = (error as NodeJS.ErrnoException).code === 'EAGAIN' ? 'dropped' : (error as Error);
        }
        // Asynchronously, as a stream would: the sink never re-enters itself.
        setImmediate(done, sent);
      },
      finish: () => Promise.resolve(),
      abandon: () => {},
    },
    options,
  );
}

/** Standard output (`-`), or a file appended to (O_APPEND keeps lines whole across processes). */
export async function openNdjsonSink(target: string, options: NdjsonSinkOptions = {}): Promise<NdjsonSink> {
  if (target === '-') {
    let stat: Stats;
    try {
      stat = fstatSync(1);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
      throw new ResourceError(`cannot write the log to standard output (${code})`, { cause });
    }
    if (stat.isFIFO() || stat.isSocket())
      return streamSink(new net.Socket({ fd: 1, readable: false, writable: true }), options, false);
    return fdSink(1, options);
  }
  const stream = createWriteStream(target, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ResourceError(`cannot write the log ${target}: ${error.code ?? error.message}`, { cause: error })),
    );
  });
  return streamSink(stream, options);
}
