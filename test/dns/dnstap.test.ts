/**
 * The dnstap reader's hostile side: whatever a peer writes to its socket closes that connection
 * at worst, and the listener goes on taking the next writer. (Real writers, BIND, NSD and Knot,
 * are in test/lab/dns-log.test.ts.)
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listenForDnstap } from '../../src/dns/dnstap.js';
import type { QueryLogEntry } from '../../src/dns/server.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

/** Writes `bytes`, and resolves with whether the reader closed the connection within a second. */
function write(path: string, bytes: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 1000);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const u32 = (...values: number[]) =>
  Buffer.concat(values.map((v) => Buffer.from([v >>> 24, v >>> 16, v >>> 8, v].map((b) => b & 0xff))));

describe('listenForDnstap', () => {
  it('closes a connection that writes what is not Frame Streams of dnstap, and goes on listening', async () => {
    const path = join(await tempDir('dnstap'), 'tap.sock');
    const seen: QueryLogEntry[] = [];
    const tap = await listenForDnstap(path, (r) => seen.push(r));
    try {
      // A frame longer than any DNS message could need.
      expect(await write(path, u32(0x7fffffff))).toBe(true);
      // A control frame shorter than its own type.
      expect(await write(path, u32(0, 2))).toBe(true);
      // READY for another content type.
      const other = Buffer.from('protobuf:other');
      expect(await write(path, Buffer.concat([u32(0, 12 + other.length, 4, 1, other.length), other]))).toBe(true);
      // A data frame that is not protobuf: skipped, the connection kept.
      expect(await write(path, Buffer.concat([u32(5), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])]))).toBe(false);
      expect(seen).toEqual([]);
    } finally {
      await tap.close();
    }
  });
});
