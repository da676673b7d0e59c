/**
 * The NDJSON log sink against real pipes: a reader that keeps up (cat), one that never reads
 * (sleep) and one that goes away after a line (head -n 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { streamSink } from '../src/ndjson-sink.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A process reading its stdin (or not); its stdout is piped to us when `readOutput`. */
function reader(command: string, args: readonly string[], readOutput: boolean) {
  const child = spawn(command, args, { stdio: ['pipe', readOutput ? 'pipe' : 'ignore', 'ignore'] });
  children.push(child);
  return child;
}

const entry = (i: number) => ({ i, qname: `host${i}.example.org`, qtype: 'A', rcode: 'NOERROR' });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the NDJSON sink', () => {
  it('hands a reader that keeps up every entry, as whole lines', async () => {
    const cat = reader('cat', [], true);
    let text = '';
    cat.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise((resolve) => cat.once('exit', resolve));
    const sink = streamSink(cat.stdin!);
    for (let i = 0; i < 5000; i++) {
      sink.write(entry(i));
      if (i % 500 === 0) await tick();
    }
    expect(await sink.close()).toEqual({ written: 5000, dropped: 0 });
    await exited;
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('holds at most its bound for a reader that never reads, dropping and counting the rest', async () => {
    const sleep = reader('sleep', ['30'], false);
    const sink = streamSink(sleep.stdin!, { maxQueuedBytes: 64 << 10, closeGraceMs: 100 });
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      sink.write(entry(i));
      most = Math.max(most, sink.queued);
      if (i % 1000 === 0) await tick();
    }
    expect(most).toBeLessThanOrEqual(64 << 10);
    expect(sink.stats.dropped).toBeGreaterThan(10_000);
    const stats = await sink.close();
    expect(stats.written + stats.dropped).toBe(20_000);
  });

  it('ends the log, not the process, when its reader goes away', async () => {
    const head = reader('head', ['-n', '1'], false);
    const broken: Error[] = [];
    const sink = streamSink(head.stdin!, { onBroken: (error) => broken.push(error) });
    let sent = 0;
    for (let round = 0; round < 200 && broken.length === 0; round++) {
      for (let i = 0; i < 50; i++) sink.write(entry(sent++));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // EPIPE, or the stream Node destroys once the child has exited.
    expect(broken.map((e) => (e as NodeJS.ErrnoException).code)).toEqual([
      expect.stringMatching(/^(EPIPE|ERR_STREAM_DESTROYED)$/),
    ]);
    for (let i = 0; i < 100; i++) sink.write(entry(sent++));
    const stats = await sink.close();
    expect(stats.written + stats.dropped).toBe(sent);
    expect(stats.dropped).toBeGreaterThanOrEqual(100);
    expect(broken).toHaveLength(1);
  });
});
