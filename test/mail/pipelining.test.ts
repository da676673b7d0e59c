/**
 * Reply batching (RFC 2920 §3.1): a relay answers a pipelined group in one write, as Postfix's
 * smtpd, which flushes only once it has read all the client sent, and a client that waits for
 * each reply still gets each at once. The segments are counted by the kernel (ss's
 * data_segs_in on the client's socket, iproute2), not by reads, which coalesce whatever arrived in
 * between.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.js';
import { planOf, topology } from '../helpers/topology.js';
import { startMailNet, type MailNet } from './support/mail-net.js';

const run = promisify(execFile);
const plan = await planOf(topology(() => {}));

/** A client that keeps every read apart and counts the data segments its socket received. */
class Client {
  readonly reads: string[] = [];
  private buffer = '';
  private waiting: { count: number; resolve: () => void } | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.reads.push(chunk);
      this.buffer += chunk;
      this.check();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<Client> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new Client(socket);
    await client.replies(1);
    return client;
  }

  /** Writes `lines` in one write and resolves with the next `count` replies (final lines only). */
  async send(lines: string, count: number, within = 2000): Promise<string[]> {
    this.socket.write(lines);
    return this.replies(count, within);
  }

  /** The data segments this connection has received so far (the kernel's tcp_info). */
  async segmentsIn(): Promise<number> {
    const { localPort, remotePort } = this.socket;
    const { stdout } = await run('ss', [
      '-tinH',
      'state',
      'established',
      `( sport = :${localPort} and dport = :${remotePort} )`,
    ]);
    const match = /data_segs_in:(\d+)/.exec(stdout);
    if (!match) throw new Error(`no data_segs_in for :${localPort} in ss's output: ${stdout}`);
    return Number(match[1]);
  }

  close(): void {
    this.socket.destroy();
  }

  private async replies(count: number, within = 2000): Promise<string[]> {
    const timer = setTimeout(() => this.waiting?.resolve(), within);
    await new Promise<void>((resolve) => {
      this.waiting = { count, resolve };
      this.check();
    });
    clearTimeout(timer);
    this.waiting = undefined;
    const finals: string[] = [];
    for (let m = FINAL.exec(this.buffer); m && finals.length < count; m = FINAL.exec(this.buffer)) {
      finals.push(m[2]!);
      this.buffer = this.buffer.slice(m[0].length);
    }
    return finals;
  }

  private check(): void {
    if (!this.waiting) return;
    let count = 0;
    for (const _ of this.buffer.matchAll(/^\d{3}(?: [^\r\n]*)?\r\n/gm)) count++;
    if (count >= this.waiting.count) this.waiting.resolve();
  }
}

/** One reply: its "ddd-" lines, then the "ddd text" line that ends it. */
const FINAL = /^((?:\d{3}-[^\r\n]*\r\n)*)(\d{3}(?: [^\r\n]*)?)\r\n/;

const GROUP = 'MAIL FROM:<carol@globex.example>\r\nRCPT TO:<alice@acme.example>\r\nDATA\r\n';
const BODY = 'Subject: pipelined\r\n\r\nhello\r\n.\r\n';

describe('reply batching', () => {
  let mail: MailNet;
  beforeAll(async () => {
    mail = await startMailNet(plan, ['store1']);
  });
  afterAll(async () => {
    await mail?.close();
  });

  it.runIf(requireTool('ss'))(
    'answers a pipelined MAIL, RCPT, DATA in one segment, and the message’s 250 at once',
    async () => {
      const client = await Client.connect(mail.port('store1'));
      try {
        const [ehlo] = await client.send('EHLO client.example.com\r\n', 1);
        expect(ehlo).toMatch(/^250 /);
        for (let round = 0; round < 5; round++) {
          const before = await client.segmentsIn();
          const reads = client.reads.length;
          const replies = await client.send(GROUP, 3);
          expect(replies.map((r) => r.slice(0, 3))).toEqual(['250', '250', '354']);
          expect(client.reads.length - reads, 'reads for the group').toBe(1);
          expect((await client.segmentsIn()) - before, 'segments for the group').toBe(1);
          const [final] = await client.send(BODY, 1);
          expect(final).toMatch(/^250 /);
        }
        expect((await client.send('QUIT\r\n', 1))[0]).toMatch(/^221 /);
      } finally {
        client.close();
      }
    },
  );

  it.runIf(requireTool('swaks'))(
    'delivers once to a real pipelining client (swaks --pipeline), a refused recipient inside the group',
    async () => {
      const { stdout } = await run(
        'swaks',
        [
          ...['--server', '127.0.0.1', '--port', String(mail.port('store1')), '--ehlo', 'client.example.com'],
          ...['--from', 'carol@globex.example', '--to', 'alice@acme.example,nobody@acme.example'],
          ...['--header', 'Subject: pipelined via swaks', '--body', 'hello alice', '--pipeline'],
          ...['--timeout', '10'],
        ],
        { encoding: 'utf8' },
      );
      // swaks sent MAIL, both RCPTs and DATA before reading a reply; each has its own answer
      expect(stdout).toMatch(/<-\s+250 .*\r?\n<-\s+250 .*\r?\n<\*\*\s+550 5\.1\.1/);
      expect(stdout).toMatch(/<-\s+250 2\.0\.0 Ok: delivered as \w+/);
      const copies = (await mail.mailbox('store1', 'alice@acme.example')).filter(
        (m) => m.subject === 'pipelined via swaks',
      );
      expect(copies).toHaveLength(1);
      expect(copies[0]!.text).toContain('hello alice');
    },
  );

  it('answers a client that waits for each reply at once, and a group cut short or split across writes', async () => {
    const client = await Client.connect(mail.port('store1'));
    try {
      const short = 500; // far below any deadline: a held reply would not come
      expect(await client.send('EHLO client.example.com\r\n', 1, short)).toHaveLength(1);
      expect(await client.send('MAIL FROM:<carol@globex.example>\r\n', 1, short)).toEqual([
        expect.stringMatching(/^250 /),
      ]);
      expect(await client.send('RCPT TO:<alice@acme.example>\r\n', 1, short)).toEqual([expect.stringMatching(/^250 /)]);
      expect(await client.send('DATA\r\n', 1, short)).toEqual([expect.stringMatching(/^354 /)]);
      expect(await client.send(BODY, 1, short)).toEqual([expect.stringMatching(/^250 /)]);
      // a group without DATA: both replies, though no DATA ends it
      expect(
        await client.send('MAIL FROM:<carol@globex.example>\r\nRCPT TO:<alice@acme.example>\r\n', 2, short),
      ).toEqual([expect.stringMatching(/^250 /), expect.stringMatching(/^250 /)]);
      expect(await client.send('RSET\r\n', 1, short)).toEqual([expect.stringMatching(/^250 /)]);
      // a command in two writes, and a refusal inside a group
      expect(await client.send('NOOP', 0, 50)).toEqual([]);
      expect(await client.send('\r\n', 1, short)).toEqual([expect.stringMatching(/^250 /)]);
      expect(await client.send('RCPT TO:<alice@acme.example>\r\nNOOP\r\n', 2, short)).toEqual([
        expect.stringMatching(/^503 /),
        expect.stringMatching(/^250 /),
      ]);
    } finally {
      client.close();
    }
  });

  it('answers a group whose replies outgrow the socket’s buffer (smtp-server then waits for them to drain)', async () => {
    const client = await Client.connect(mail.port('store1'));
    try {
      await client.send('EHLO client.example.com\r\n', 1);
      // 3,000 replies of 14 bytes: past the socket's 16 KiB high-water mark within one chunk
      const replies = await client.send('NOOP\r\n'.repeat(3000), 3000, 5000);
      expect(replies).toHaveLength(3000);
      expect(new Set(replies.map((r) => r.slice(0, 3)))).toEqual(new Set(['250']));
    } finally {
      client.close();
    }
  });
});
