import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineEndingNormaliser, readInbound } from '../../src/mail/inbound.js';
import { readTrace, receivedHeader } from '../../src/mail/trace.js';
import { seededRandom } from '../helpers/seeded-random.mjs';

const show = (b: Buffer) => b.toString('latin1').replace(/\r/g, '\\r').replace(/\n/g, '\\n');

describe('LineEndingNormaliser', () => {
  const cases: [input: string[], output: string, fixed: number][] = [
    [['a\r\nb\r\n'], 'a\\r\\nb\\r\\n', 0],
    [['a\nb\n'], 'a\\r\\nb\\r\\n', 2],
    [['a\rb\r\n'], 'a\\r\\nb\\r\\n', 1],
    // CRLF split across chunks is not bare
    [['a\r', '\nb\r\n'], 'a\\r\\nb\\r\\n', 0],
    // a CR that ends a chunk and is followed by something else is bare
    [['a\r', 'b\r\n'], 'a\\r\\nb\\r\\n', 1],
    [['a\r'], 'a\\r\\n', 1],
    [['\r\r\n'], '\\r\\n\\r\\n', 1],
    // the smuggling probe's terminator: bare LF, dot, CRLF
    [['x\n.\r\nMAIL FROM:<a@b>\r\n'], 'x\\r\\n.\\r\\nMAIL FROM:<a@b>\\r\\n', 1],
  ];
  it.each(cases)('%j -> %s', (input, output, fixed) => {
    const n = new LineEndingNormaliser();
    const out = Buffer.concat([...input.map((c) => n.push(Buffer.from(c, 'latin1'))), n.end()]);
    expect(show(out)).toBe(output);
    expect(n.fixed).toBe(fixed);
  });
});

describe('LineEndingNormaliser on any chunking', () => {
  it('equals normalising the whole input at once, wherever the chunks split it (CR, LF and CRLF at every boundary)', () => {
    const next = seededRandom(0x11fe);
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(next() * 40) }, () => [0x0d, 0x0a, 0x61][Math.floor(next() * 3)]!),
      );
      const text = bytes.toString('latin1');
      const expected = text.replace(/\r\n|\r|\n/g, '\r\n');
      const bare = (text.match(/\r\n|\r|\n/g) ?? []).filter((m) => m !== '\r\n').length;
      const n = new LineEndingNormaliser();
      const out: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = Math.floor(next() * 6); // empty chunks too
        out.push(n.push(bytes.subarray(at, at + size)));
        at += size;
      }
      out.push(n.end());
      expect(show(Buffer.concat(out)), show(bytes)).toBe(show(Buffer.from(expected, 'latin1')));
      expect(n.fixed).toBe(bare);
    }
  });
});

describe('readInbound', () => {
  it('keeps a message within the limit', async () => {
    const result = await readInbound(Readable.from([Buffer.from('Subject: x\r\n\r\n'), Buffer.from('body\n')]), 100);
    expect(show(result.data!)).toBe('Subject: x\\r\\n\\r\\nbody\\r\\n');
    expect(result).toMatchObject({ oversized: false, size: 19, bareLineEndings: 1 });
  });

  it('drains an oversized message without keeping it', async () => {
    const chunks = Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x61));
    const result = await readInbound(Readable.from(chunks), 10_000);
    expect(result).toMatchObject({ data: undefined, oversized: true, size: 100_000 });
  });

  it('rejects a stream that closes before its end (a session cut mid-DATA), and one that fails', async () => {
    const cut = new PassThrough();
    const reading = readInbound(cut, 100);
    cut.write('Subject: half a message\r\n');
    cut.destroy();
    await expect(reading).rejects.toThrow(/closed before the final dot/);

    const failing = new PassThrough();
    const failed = readInbound(failing, 100);
    failing.destroy(new Error('socket reset'));
    await expect(failed).rejects.toThrow('socket reset');
  });
});

describe('trace', () => {
  const planned = new Set(['mail1.infra.example', 'mail2.infra.example', 'mx-backup.infra.example']);
  const received = (by: string, id: string, helo = 'client.example.com') =>
    receivedHeader({ helo, clientAddress: '127.0.0.1', by, id, date: Date.UTC(2024, 10, 28) });

  it('writes an RFC 5321 §4.4 time stamp line', () => {
    expect(
      receivedHeader({
        helo: 'client.example.com',
        clientAddress: '127.0.0.1',
        by: 'mail1.infra.example',
        id: 'ABC123',
        recipient: 'bob@acme.example',
        date: Date.UTC(2024, 10, 28, 4, 5, 6),
      }),
    ).toBe(
      'Received: from client.example.com ([127.0.0.1])\r\n\tby mail1.infra.example (mxplan) with ESMTP id ABC123\r\n\tfor <bob@acme.example>;\r\n\tThu, 28 Nov 2024 04:05:06 +0000\r\n',
    );
    expect(receivedHeader({ by: 'mail1.infra.example', id: 'DSN1', date: 0 })).toBe(
      'Received: by mail1.infra.example (mxplan) id DSN1;\r\n\tThu, 01 Jan 1970 00:00:00 +0000\r\n',
    );
    // a hostile HELO cannot break the header
    expect(receivedHeader({ helo: 'evil\r\nX-Injected: 1', by: 'h', id: 'I', date: 0 })).not.toMatch(/\r\nX-Injected/);
  });

  it('reads a hostile 1 MB Received field in one pass (a lazy-gap pattern took minutes on it)', () => {
    const hostile = Buffer.from(`Received: ${'by mail1.infra.example '.repeat(45_000)}\r\n\r\nbody\r\n`);
    expect(readTrace(hostile, planned)).toMatchObject({ hops: 1, deliveryKey: undefined });
    const noId = Buffer.from(`Received: by mail1.infra.example ${'x'.repeat(500)}\r\n\r\n`);
    expect(readTrace(noId, planned).deliveryKey).toBeUndefined();
  });

  const cases: [name: string, headers: string[], hops: number, key: string | undefined][] = [
    ['no trace', [], 0, undefined],
    ['first planned hop', [received('mail1.infra.example', 'Q1')], 1, 'mail1.infra.example Q1'],
    [
      'two planned hops: the first one keys',
      [received('mail2.infra.example', 'Q9'), received('mail1.infra.example', 'Q1'), received('mx.example.com', 'X')],
      3,
      'mail1.infra.example Q1',
    ],
    [
      'a forged planned header below a foreign hop does not count',
      [
        received('mail1.infra.example', 'Q1'),
        received('mx.example.com', 'X'),
        received('mail2.infra.example', 'FORGED'),
      ],
      3,
      'mail1.infra.example Q1',
    ],
    ['foreign top', [received('mx.example.com', 'X'), received('mail1.infra.example', 'Q1')], 2, undefined],
  ];
  it.each(cases)('%s', (_name, headers, hops, key) => {
    const message = Buffer.from(
      `${headers.join('')}Subject: x\r\n\r\nbody with Received: by mail1.infra.example id NOPE\r\n`,
    );
    expect(readTrace(message, planned)).toMatchObject({ hops, deliveryKey: key });
  });
});
