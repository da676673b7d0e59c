/**
 * A log file read as it grows: each call returns the complete lines written since the last one.
 * Reads are synchronous and start where the last stopped, so "read the log to its end" is one
 * call, with nothing in between.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class LogTail {
  private fd: number | undefined;
  private offset = 0;
  /** Bytes after the last newline read: a line still being written (whole UTF-8 characters or not). */
  private partial = Buffer.alloc(0);

  constructor(readonly path: string) {}

  /** The lines completed since the last call (none while the file does not exist yet). */
  read(): string[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    const size = fstatSync(this.fd).size;
    if (size < this.offset) this.offset = 0; // rotated or truncated: read it again from the start
    if (size === this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(this.fd, buffer, read, buffer.length - read, this.offset + read);
      if (n === 0) break;
      read += n;
    }
    this.offset += read;
    const bytes = Buffer.concat([this.partial, buffer.subarray(0, read)]);
    const end = bytes.lastIndexOf(0x0a);
    this.partial = Buffer.from(bytes.subarray(end + 1));
    return end < 0 ? [] : bytes.subarray(0, end).toString('utf8').split('\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
