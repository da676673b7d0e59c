/**
 * The server's UDP path (src/dns/datagrams.ts). On the Node this project runs on, the socket's
 * handle is called directly; every reply must be byte for byte the one the public dgram API
 * sends, both for sends that leave at once and for sends the kernel queues (Node's
 * --test-udp-no-try-send queues every one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { takeDatagrams } from '../../../src/dns/datagrams.js';
import { startDnsServer, type DnsServer } from '../../../src/dns/server.js';
import { ROOT } from '../../helpers/cli.js';
import { seededRandom } from '../../helpers/seeded-random.mjs';
import { FIXTURE_ZONES, query } from '../responder/dns-test.js';

const open: (DnsServer | dgram.Socket)[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => ('port' in s ? s.close() : new Promise<void>((r) => s.close(r)))));
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  open.push(socket);
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

/**
 * Sends every message from one client socket, at most `window` in flight, and returns the
 * replies in the order of the messages (matched by ID, which must be unique).
 */
async function askAll(port: number, messages: readonly Buffer[], window = 32): Promise<Buffer[]> {
  const client = await bound();
  const replies = new Map<number, Buffer>();
  let next = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${messages.length - replies.size} queries unanswered`)), 10_000);
    const sendOne = (): void => {
      if (next < messages.length) client.send(messages[next++]!, port, '127.0.0.1');
    };
    client.on('message', (reply) => {
      replies.set(reply.readUInt16BE(0), reply);
      if (replies.size === messages.length) {
        clearTimeout(timer);
        resolve(messages.map((m) => replies.get(m.readUInt16BE(0))!));
      } else sendOne();
    });
    for (let i = 0; i < window; i++) sendOne();
  });
}

/** Every owner name of the fixture and some that do not exist, in random letter case (RFC 4343). */
function queries(): Buffer[] {
  const next = seededRandom(0xda7a);
  const names = [
    ...new Set(FIXTURE_ZONES.flatMap((z) => z.records.map((r) => r.name))),
    'nx.example.org',
    'a.b.nx.example.org',
    'example.com',
  ];
  const types = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'CNAME', 'PTR', 'ANY', 'SRV'];
  const ednsSizes = [undefined, 512, 1232, 4096];
  const out: Buffer[] = [];
  for (const name of names)
    for (const type of types) {
      const mixed = [...name].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join('');
      const edns = ednsSizes[Math.floor(next() * ednsSizes.length)];
      out.push(query(mixed, type, { id: out.length, edns, dnssecOk: next() < 0.3, rd: next() < 0.5 }));
    }
  return out;
}

describe('datagrams', () => {
  it('calls the handle directly on this Node, and both ways send the parts as one datagram', async () => {
    for (const publicApi of [false, true]) {
      const server = await bound();
      const errors: Error[] = [];
      const io = takeDatagrams(
        server,
        (msg, address, port) => io.send([msg, Buffer.from('|tail'), Buffer.from('|opt')], 2, port, address),
        (error) => errors.push(error),
        { publicApi },
      );
      expect(io.fast).toBe(!publicApi);
      const messages = Array.from({ length: 100 }, (_, i) => Buffer.from([i >> 8, i & 0xff, 0x61, 0x62]));
      const replies = await askAll(server.address().port, messages);
      expect(replies.map((r) => r.toString('latin1'))).toEqual(messages.map((m) => `${m.toString('latin1')}|tail`));
      expect(errors).toEqual([]);
    }
  });

  it('answers the same bytes through the handle as through the public API', async () => {
    const fast = await startDnsServer({ zones: FIXTURE_ZONES });
    const slow = await startDnsServer({ zones: FIXTURE_ZONES, udpPublicApi: true });
    open.push(fast, slow);
    const messages = queries();
    const [a, b] = [await askAll(fast.port, messages), await askAll(slow.port, messages)];
    expect(a.length).toBe(messages.length);
    for (let i = 0; i < a.length; i++) expect(a[i]!.toString('hex'), `query ${i}`).toBe(b[i]!.toString('hex'));
  });

  it('keeps the parts of a send the kernel queued until it is sent', async () => {
    // A server in a Node that queues every send; its zones come in on stdin.
    const script = [
      `const { startDnsServer } = await import(${JSON.stringify(join(ROOT, 'dist', 'dns', 'server.js'))});`,
      'let text = ""; for await (const chunk of process.stdin) text += chunk;',
      'const server = await startDnsServer({ zones: JSON.parse(text) });',
      'console.log(server.port);',
    ].join('\n');
    const child = spawn(process.execPath, ['--test-udp-no-try-send', '--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    child.stdin.end(JSON.stringify(FIXTURE_ZONES));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    const reference = await startDnsServer({ zones: FIXTURE_ZONES, udpPublicApi: true });
    open.push(reference);
    const messages = queries();
    const [a, b] = [await askAll(port, messages, 64), await askAll(reference.port, messages)];
    for (let i = 0; i < a.length; i++) expect(a[i]!.toString('hex'), `query ${i}`).toBe(b[i]!.toString('hex'));
    child.kill('SIGTERM');
  });
});
