import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Spool, type StoredEnvelope } from '../../src/mail/spool.js';
import { mountSmallFs, smallFsAvailable, type SmallFs } from '../helpers/small-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxplan-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const envelope = (id: string, recipients = ['bob@acme.example']): StoredEnvelope => ({
  id,
  from: 'alice@acme.example',
  recipients,
  origin: 'inbound',
  arrival: 1_700_000_000_000,
});

describe('Spool', () => {
  it('replays messages with the targets already done, and reads bodies back', async () => {
    const { spool } = await Spool.open(dir);
    await spool.appendMessage(
      envelope('A1', ['bob@acme.example', 'carol@globex.example']),
      Buffer.from('Subject: one\r\n\r\nhello\r\n'),
    );
    await spool.appendMessage(envelope('A2'), Buffer.from('Subject: two\r\n\r\n'));
    spool.appendDone('A1', ['bob@acme.example'], 'delivered');
    expect((await spool.readBody('A1')).toString()).toBe('Subject: one\r\n\r\nhello\r\n');
    await spool.close();

    const again = await Spool.open(dir);
    expect(again.recovered.map((m) => [m.envelope.id, [...m.done.keys()]])).toEqual([
      ['A1', ['bob@acme.example']],
      ['A2', []],
    ]);
    expect((await again.spool.readBody('A1')).toString()).toBe('Subject: one\r\n\r\nhello\r\n');
    await again.spool.close();
  });

  it('commits concurrent appends together and keeps them in order', async () => {
    const { spool } = await Spool.open(dir);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => spool.appendMessage(envelope(`M${i}`), Buffer.from(`body ${i}\r\n`))),
    );
    // the first append starts a commit; the 49 that arrive while it runs share the next one
    expect(spool.stats().commits).toBeLessThanOrEqual(2);
    await spool.close();
    const { recovered, spool: again } = await Spool.open(dir);
    expect(recovered.map((m) => m.envelope.id)).toEqual(Array.from({ length: 50 }, (_, i) => `M${i}`));
    await again.close();
  });

  it('ignores a torn record at the end of a segment (it was never acknowledged)', async () => {
    const { spool } = await Spool.open(dir);
    await spool.appendMessage(envelope('GOOD'), Buffer.from('kept\r\n'));
    await spool.close();
    const [segment] = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    const path = join(dir, segment!);
    await appendFile(path, 'MXQ1 M TORN 500 00000000\n{"id":"TORN"');
    const { recovered, spool: again } = await Spool.open(dir);
    expect(recovered.map((m) => m.envelope.id)).toEqual(['GOOD']);
    // new records go to a fresh segment, never after the torn tail
    await again.appendMessage(envelope('NEXT'), Buffer.from('x\r\n'));
    await again.close();
    const third = await Spool.open(dir);
    expect(third.recovered.map((m) => m.envelope.id)).toEqual(['GOOD', 'NEXT']);
    await third.spool.close();
  });

  it('rejects a record whose checksum does not match', async () => {
    const { spool } = await Spool.open(dir);
    await spool.appendMessage(envelope('OK1'), Buffer.from('one\r\n'));
    await spool.appendMessage(envelope('BAD'), Buffer.from('two\r\n'));
    await spool.close();
    const [segment] = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    const path = join(dir, segment!);
    const text = await readFile(path, 'latin1');
    await truncate(path, 0);
    await appendFile(path, Buffer.from(text.replace('two', 'TWO'), 'latin1'));
    const { recovered, spool: again } = await Spool.open(dir);
    expect(recovered.map((m) => m.envelope.id)).toEqual(['OK1']);
    await again.close();
  });

  it('deletes segments oldest first once none of their messages is live', async () => {
    const { spool } = await Spool.open(dir, { segmentBytes: 1 });
    await spool.appendMessage(envelope('S1'), Buffer.from('one\r\n'));
    await spool.appendMessage(envelope('S2'), Buffer.from('two\r\n'));
    await spool.appendMessage(envelope('S3'), Buffer.from('three\r\n'));
    const segments = async () => (await readdir(dir)).filter((n) => n.startsWith('segment-')).length;
    expect(await segments()).toBe(3); // one per message: each found the previous one full
    spool.release('S2');
    expect(spool.stats().segments).toBe(3); // S1 is older and still live (decided at once, no waiting)
    spool.release('S1');
    expect(spool.stats().segments).toBe(1); // S3's, the current one
    await vi.waitFor(async () => expect(await segments()).toBe(1)); // and the files go
    await spool.close();
    const { recovered, spool: again } = await Spool.open(dir);
    expect(recovered.map((m) => m.envelope.id)).toEqual(['S3']);
    await again.close();
  });

  it('copies the last live message of an old segment forward, so that it and the segments it pinned go', async () => {
    const { spool } = await Spool.open(dir, { segmentBytes: 600 });
    const both = ['bob@acme.example', 'carol@globex.example'];
    // Segment 1: four small messages; OLD stays (deferred for days), with bob done.
    for (const id of ['OLD', 'A', 'B', 'C'])
      await spool.appendMessage(envelope(id, both), Buffer.from(`body of ${id}\r\n`));
    spool.appendDone('OLD', ['bob@acme.example'], 'delivered');
    for (const id of ['A', 'B', 'C']) spool.release(id);
    // Segments 2 and 3: a large message each.
    await spool.appendMessage(envelope('D'), Buffer.alloc(1000, 0x64));
    await spool.appendMessage(envelope('E'), Buffer.alloc(1000, 0x65));
    const before = spool.stats().segments;
    spool.release('D');
    spool.release('E');
    // Without the copy, OLD would keep every segment; with it, only the current one is left.
    await vi.waitFor(() => expect(spool.stats()).toMatchObject({ segments: 1, live: 1 }), { timeout: 2000 });
    expect(before).toBe(3);
    expect((await spool.readBody('OLD')).toString()).toBe('body of OLD\r\n');
    await spool.close();

    const again = await Spool.open(dir);
    expect(again.recovered.map((m) => [m.envelope.id, m.envelope.recipients, [...m.done]])).toEqual([
      ['OLD', both, [['bob@acme.example', 'delivered']]],
    ]);
    expect((await again.spool.readBody('OLD')).toString()).toBe('body of OLD\r\n');
    expect((await readdir(dir)).filter((n) => n.startsWith('segment-'))).toHaveLength(2); // the copy's and a fresh one
    await again.spool.close();
  });

  it('replays a message once when a crash left both it and its copy on disk', async () => {
    const { spool } = await Spool.open(dir);
    await spool.appendMessage(envelope('X'), Buffer.from('x\r\n'));
    await spool.close();
    const [segment] = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    await copyFile(join(dir, segment!), join(dir, 'segment-000009.log'));
    const { recovered, spool: again } = await Spool.open(dir);
    expect(recovered.map((m) => m.envelope.id)).toEqual(['X']);
    expect(again.stats().live).toBe(1);
    again.release('X');
    await vi.waitFor(async () => expect((await readdir(dir)).filter((n) => n.startsWith('segment-'))).toHaveLength(1));
    await again.close();
  });
});

/** Runs `work`; fails if a promise was rejected without a handler meanwhile (it would kill a relay). */
async function withoutUnhandledRejections(work: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
}

describe('Spool closed during a copy forward', () => {
  it('settles every copy it had started, without an unhandled rejection', async () => {
    await withoutUnhandledRejections(async () => {
      const { spool } = await Spool.open(dir, { segmentBytes: 600 });
      for (const id of ['K1', 'K2', 'K3', 'A', 'B', 'C', 'G', 'H', 'I'])
        await spool.appendMessage(envelope(id), Buffer.from(`body of ${id}\r\n`));
      for (const id of ['A', 'B', 'C', 'G', 'H', 'I']) spool.release(id);
      await spool.appendMessage(envelope('D'), Buffer.alloc(1000, 0x64));
      await spool.appendMessage(envelope('E'), Buffer.alloc(1000, 0x65));
      spool.release('D');
      spool.release('E'); // starts the copy forward of segment 1
      await spool.close();
      const again = await Spool.open(dir);
      expect(again.recovered.map((m) => m.envelope.id)).toEqual(expect.arrayContaining(['K1', 'K2', 'K3']));
      await again.spool.close();
    });
  });
});

describe.runIf(smallFsAvailable())('Spool on a full disk (issue 10)', () => {
  let fs: SmallFs;
  beforeEach(async () => {
    fs = await mountSmallFs(16 * 1024 * 1024);
  });
  afterEach(async () => {
    await fs.unmount();
  });
  const segmentsOnDisk = async (at: string) => (await readdir(at)).filter((n) => n.startsWith('segment-'));
  const big = (n: number) => Buffer.alloc(256 * 1024, 0x61 + (n % 26));

  it('refuses appends while full without making a segment per attempt, and takes them again once space returns', async () => {
    const at = join(fs.dir, 'queue');
    const { spool } = await Spool.open(at);
    await spool.appendMessage(envelope('KEPT'), Buffer.from('kept\r\n'));
    await fs.fill();
    // One at a time, as sessions arrive: each is a batch of its own.
    const attempts: PromiseSettledResult<void>[] = [];
    for (let i = 0; i < 40; i++)
      attempts.push(...(await Promise.allSettled([spool.appendMessage(envelope(`F${i}`), big(i))])));
    const refused = attempts.filter((a) => a.status === 'rejected');
    // The preallocated room takes a few; the rest are refused with the disk's own error.
    expect(refused.length).toBeGreaterThan(30);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'ENOSPC' });
    expect(await segmentsOnDisk(at)).toHaveLength(1);
    const took = attempts.flatMap((a, i) => (a.status === 'fulfilled' ? [`F${i}`] : []));

    await fs.free();
    await spool.appendMessage(envelope('AFTER'), big(0));
    await spool.close();
    const again = await Spool.open(at);
    expect(again.recovered.map((m) => m.envelope.id)).toEqual(['KEPT', ...took, 'AFTER']);
    await again.spool.close();
  });

  it('opens on a full disk, and its first append after space returns starts the segment', async () => {
    const at = join(fs.dir, 'queue');
    const first = await Spool.open(at);
    await first.spool.appendMessage(envelope('OLD'), Buffer.from('old\r\n'));
    await first.spool.close();
    await fs.fill();
    const { spool, recovered } = await Spool.open(at);
    expect(recovered.map((m) => m.envelope.id)).toEqual(['OLD']);
    await expect(spool.appendMessage(envelope('FULL'), big(1))).rejects.toMatchObject({ code: 'ENOSPC' });
    await fs.free();
    await spool.appendMessage(envelope('NEW'), Buffer.from('new\r\n'));
    await spool.close();
    const again = await Spool.open(at);
    expect(again.recovered.map((m) => m.envelope.id)).toEqual(['OLD', 'NEW']);
    await again.spool.close();
  });

  it('survives a compaction that meets a full disk, and compacts once space returns', async () => {
    const at = join(fs.dir, 'queue');
    await withoutUnhandledRejections(async () => {
      const { spool } = await Spool.open(at, { segmentBytes: 4000 });
      // Segment 1: ten messages that stay, thirty that go.
      const ids = Array.from({ length: 40 }, (_, i) => `M${String(i).padStart(2, '0')}`);
      for (const id of ids) await spool.appendMessage(envelope(id), Buffer.from(`body of ${id}\r\n`));
      const kept = ids.filter((_, i) => i % 4 === 0);
      for (const id of ids) if (!kept.includes(id)) spool.release(id);
      await spool.appendMessage(envelope('D'), Buffer.alloc(4000, 0x64));
      await spool.appendMessage(envelope('E'), Buffer.alloc(4000, 0x65));
      await fs.fill();
      spool.release('D'); // the copy forward of segment 1 starts, and finds no space
      spool.release('E');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(spool.stats().live).toBe(kept.length);
      await fs.free();
      await spool.appendMessage(envelope('F'), Buffer.alloc(4000, 0x66));
      spool.release('F'); // the next release tries again
      await vi.waitFor(() => expect(spool.stats()).toMatchObject({ segments: 1, live: kept.length }), {
        timeout: 2000,
      });
      await spool.close();
      const again = await Spool.open(at);
      // F's record is in the current segment, which stays (a release writes nothing: see D records)
      expect(again.recovered.map((m) => m.envelope.id)).toEqual([...kept, 'F']);
      await again.spool.close();
    });
  });
});
