import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Spool, type StoredEnvelope } from '../../src/mail/spool.js';

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
