/**
 * The server on an ephemeral loopback port, checked with real clients: dig (BIND) and Node's
 * c-ares resolver. Each issue behaviour is one test.
 */
import * as dnsPacket from 'dns-packet';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListenError, startDnsServer, type DnsServer, type QueryLogEntry } from '../../../src/dns/server.js';
import { ResourceError } from '../../../src/errors.js';
import { requireTool } from '../../helpers/tools.js';
import { FIXTURE_ZONES, decode, query } from '../responder/dns-test.js';
import { closedByPeer, connect, dig, digHeader, framed, readMessages, resolver, udpAsk } from './clients.js';

const hasDig = requireTool('dig');
const hasIPv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = net.createServer().once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

let server: DnsServer;
const logged: QueryLogEntry[] = [];

beforeAll(async () => {
  server = await startDnsServer({
    zones: FIXTURE_ZONES,
    port: 0,
    tcpIdleTimeoutMs: 500,
    log: (entry) => logged.push(entry),
  });
});
afterAll(async () => {
  await server?.close();
});

describe('with c-ares (Node dns.promises.Resolver)', () => {
  it('resolves MX, A, AAAA, TXT, NS, SOA and PTR', async () => {
    const r = resolver(server.port);
    expect(await r.resolveMx('example.org')).toEqual([
      { exchange: 'mail.example.org', priority: 10 },
      { exchange: 'backup.example.net', priority: 20 },
    ]);
    expect(await r.resolve4('mail.example.org')).toEqual(['192.0.2.10']);
    expect(await r.resolve6('mail.example.org')).toEqual(['2001:db8::10']);
    expect(await r.resolveTxt('_dmarc.example.org')).toEqual([['v=DMARC1; p=reject']]);
    expect((await r.resolveNs('example.org')).sort()).toEqual(['ns1.example.org', 'ns2.example.net']);
    expect(await r.resolveSoa('example.org')).toMatchObject({
      nsname: 'ns1.example.org',
      hostmaster: 'hostmaster.example.org',
      serial: 1,
      minttl: 300,
    });
    expect(await r.reverse('192.0.2.10')).toEqual(['mail.example.org']);
    expect(await r.resolve4('www.example.org')).toEqual(['192.0.2.10']);
  });

  it('reports NXDOMAIN, NODATA and REFUSED as c-ares codes', async () => {
    const r = resolver(server.port);
    await expect(r.resolve4('nx.example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolveTxt('mail.example.org')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(r.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('gets the whole of a reply too big for UDP by retrying over TCP', async () => {
    const addresses = await resolver(server.port).resolve4('many.example.org');
    expect(addresses).toHaveLength(40);
  });
});

describe.runIf(hasDig)('with dig', () => {
  it('answers over UDP and TCP with AA set, RD copied, RA clear', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const rd = await dig(server.port, ['example.org', 'MX', transport, '+rec']);
      expect(digHeader(rd.output)).toMatchObject({
        status: 'NOERROR',
        flags: ['qr', 'aa', 'rd'],
        answer: 2,
        additional: 4,
      });
      expect(rd.output).toContain(transport === '+tcp' ? '(TCP)' : '(UDP)');
      const norec = await dig(server.port, ['example.org', 'MX', transport, '+norec']);
      expect(digHeader(norec.output).flags).toEqual(['qr', 'aa']);
    }
  });

  it('echoes the question in its letter case (0x20)', async () => {
    const { output } = await dig(server.port, ['MaIl.ExAmPlE.oRg', 'A']);
    expect(output).toMatch(/;MaIl\.ExAmPlE\.oRg\.\s+IN\s+A/);
    expect(output).toMatch(/^MaIl\.ExAmPlE\.oRg\.\s+3600\s+IN\s+A\s+192\.0\.2\.10$/m);
  });

  it('carries MX targets addresses in the additional section', async () => {
    const { output } = await dig(server.port, ['example.org', 'MX', '+noall', '+additional']);
    expect(
      output
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).join(' ')),
    ).toEqual([
      'mail.example.org. 3600 IN A 192.0.2.10',
      'mail.example.org. 3600 IN AAAA 2001:db8::10',
      'backup.example.net. 3600 IN A 198.51.100.25',
    ]);
  });

  it('puts the SOA with the negative TTL in NXDOMAIN and NODATA (RFC 2308)', async () => {
    for (const [name, type, status] of [
      ['nx.example.org', 'A', 'NXDOMAIN'],
      ['mail.example.org', 'TXT', 'NOERROR'],
    ] as const) {
      const { output } = await dig(server.port, [name, type]);
      expect(digHeader(output)).toMatchObject({ status, answer: 0, authority: 1 });
      expect(output).toMatch(
        /^example\.org\.\s+300\s+IN\s+SOA\s+ns1\.example\.org\. hostmaster\.example\.org\. 1 7200 1800 1209600 300$/m,
      );
    }
  });

  it('refuses names outside every zone, and other classes', async () => {
    expect(digHeader((await dig(server.port, ['example.com', 'A'])).output)).toMatchObject({
      status: 'REFUSED',
      flags: ['qr', 'rd'],
    });
    expect(digHeader((await dig(server.port, ['-c', 'CH', 'version.bind', 'TXT'])).output).status).toBe('REFUSED');
  });

  it('answers other opcodes with NOTIMP', async () => {
    const { output } = await dig(server.port, ['+opcode=notify', 'example.org', 'SOA']);
    expect(output).toMatch(/opcode: NOTIFY, status: NOTIMP/);
  });

  it('answers ANY with one RRset (RFC 8482)', async () => {
    const { output } = await dig(server.port, ['example.org', 'ANY']);
    expect(digHeader(output)).toMatchObject({ status: 'NOERROR', answer: 1 });
  });

  it('EDNS: OPT only when asked, our payload size, BADVERS for version 1', async () => {
    expect((await dig(server.port, ['example.org', 'MX', '+edns=0'])).output).toMatch(
      /EDNS: version: 0, flags:; udp: 1232/,
    );
    expect((await dig(server.port, ['example.org', 'MX', '+noedns'])).output).not.toContain('OPT PSEUDOSECTION');
    const bad = await dig(server.port, ['example.org', 'MX', '+edns=1', '+noednsnegotiation']);
    expect(bad.output).toMatch(/status: BADVERS/);
    expect(bad.output).toMatch(/EDNS: version: 0/);
  });

  it('truncates what does not fit, and TCP gets the whole answer', async () => {
    const classic = await dig(server.port, ['many.example.org', 'A', '+noedns', '+ignore']);
    expect(digHeader(classic.output)).toMatchObject({ flags: expect.arrayContaining(['tc']), answer: 0 });
    expect(Number(/MSG SIZE\s+rcvd: (\d+)/.exec(classic.output)![1])).toBeLessThanOrEqual(512);
    const small = await dig(server.port, ['many.example.org', 'A', '+bufsize=512', '+ignore']);
    expect(digHeader(small.output).flags).toContain('tc');
    const roomy = await dig(server.port, ['many.example.org', 'A', '+bufsize=1232', '+ignore']);
    expect(digHeader(roomy.output)).toMatchObject({ answer: 40 });
    expect(digHeader(roomy.output).flags).not.toContain('tc');
    // Without +ignore, dig retries over TCP on TC=1.
    const retried = await dig(server.port, ['big.example.org', 'TXT', '+noedns']);
    expect(retried.output).toMatch(/Truncated, retrying in TCP mode/);
    expect(digHeader(retried.output)).toMatchObject({ answer: 1 });
    expect(retried.output).toContain('(TCP)');
  });
});

describe('TCP (RFC 7766)', () => {
  it('answers several pipelined queries on one connection, in order', async () => {
    const socket = await connect(server.port);
    const questions = [
      query('example.org', 'MX', { id: 1 }),
      query('mail.example.org', 'AAAA', { id: 2 }),
      query('nx.example.org', 'A', { id: 3 }),
      query('big.example.org', 'TXT', { id: 4 }),
    ];
    // All in one write, the last split across two.
    const bytes = Buffer.concat(questions.map(framed));
    const replies = readMessages(socket, 4);
    socket.write(bytes.subarray(0, bytes.length - 5));
    socket.write(bytes.subarray(bytes.length - 5));
    const decoded = (await replies).map((m) => decode(m));
    expect(decoded.map((p) => [p.id, p.rcode, p.answers?.length])).toEqual([
      [1, 'NOERROR', 2],
      [2, 'NOERROR', 1],
      [3, 'NXDOMAIN', 0],
      [4, 'NOERROR', 1],
    ]);
    socket.destroy();
  });

  it('closes stalled connections (a partial length prefix, a partial message, silence) and serves others meanwhile', async () => {
    const partialPrefix = await connect(server.port);
    partialPrefix.write(Buffer.from([0]));
    const partialMessage = await connect(server.port);
    partialMessage.write(framed(query('example.org', 'MX')).subarray(0, 10));
    const silent = await connect(server.port);
    const stalled = [partialPrefix, partialMessage, silent].map(closedByPeer);

    // While those hang, other clients are answered, over TCP and UDP.
    const healthy = await connect(server.port);
    const reply = readMessages(healthy, 1);
    healthy.write(framed(query('mail.example.org', 'A', { id: 77 })));
    expect(dnsPacket.decode((await reply)[0]!).answers).toHaveLength(1);
    expect(await resolver(server.port).resolve4('mail.example.org')).toEqual(['192.0.2.10']);

    await Promise.all(stalled);
    healthy.destroy();
  });

  it('cuts off a message that trickles in a byte at a time, each byte resetting the idle timer', async () => {
    const socket = await connect(server.port);
    const bytes = framed(query('example.org', 'MX'));
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < bytes.length - 1 && !socket.destroyed) socket.write(bytes.subarray(sent, ++sent));
    }, 100);
    await closedByPeer(socket);
    clearInterval(drip);
    expect(sent).toBeLessThan(bytes.length - 1);
  });

  it('at its limit closes the idle connection that waited longest, so a newcomer is served (RFC 7766 §10)', async () => {
    // A slow-connection attack at 1.5 times the limit, as 400 idle connections against 256;
    // timeouts that do not shorten under pressure, so only making room can let a newcomer in.
    await using small = await startDnsServer({
      zones: FIXTURE_ZONES,
      maxTcpConnections: 16,
      tcpBusyIdleTimeoutMs: 10_000,
    });
    const idle = await openIdle(small.port, 24);
    const answered = await dig(small.port, ['+tcp', '+norec', 'example.org', 'SOA']);
    expect(answered.code, answered.output).toBe(0);
    expect(digHeader(answered.output).status).toBe('NOERROR');
    // Those that waited longest made room (8 for the attack's own excess, then 1 for dig); the rest stay.
    await Promise.all(idle.slice(0, 9).map(closedByPeer));
    expect(idle.slice(9).filter((socket) => socket.destroyed)).toEqual([]);
    for (const socket of idle) socket.destroy();
  });

  it('keeps serving over TCP while an attacker reopens every connection it loses', async () => {
    await using small = await startDnsServer({ zones: FIXTURE_ZONES, maxTcpConnections: 16 });
    let attacking = true;
    const open = new Set<net.Socket>();
    const attack = async (): Promise<void> => {
      if (!attacking) return;
      const socket = await connect(small.port).catch(() => undefined);
      if (!socket) return;
      open.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        open.delete(socket);
        void attack();
      });
    };
    await Promise.all(Array.from({ length: 24 }, attack));
    for (let i = 0; i < 5; i++) {
      const { code, output } = await dig(small.port, ['+tcp', '+norec', 'mail.example.org', 'A']);
      expect(code, output).toBe(0);
      expect(output).toContain('192.0.2.10');
    }
    attacking = false;
    for (const socket of open) socket.destroy();
  });

  it('shortens the idle timeout above half its limit (RFC 7766 §6.2.3)', async () => {
    await using small = await startDnsServer({
      zones: FIXTURE_ZONES,
      maxTcpConnections: 8,
      tcpIdleTimeoutMs: 60_000,
      tcpBusyIdleTimeoutMs: 200,
    });
    const calm = await openIdle(small.port, 4);
    const crowd = await openIdle(small.port, 1);
    // Past half of 8, every idle connection has the short timeout: all go long before a minute.
    const started = Date.now();
    await Promise.all([...calm, ...crowd].map(closedByPeer));
    expect(Date.now() - started).toBeLessThan(30_000);
    // Below a quarter again, a new connection gets the full timeout and is answered.
    const socket = await connect(small.port);
    const reply = readMessages(socket, 1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    socket.write(framed(query('example.org', 'SOA')));
    expect(decode((await reply)[0]!).answers).toHaveLength(1);
    socket.destroy();
  });
});

/** `count` TCP connections that send nothing, opened one after another. */
async function openIdle(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await connect(port);
    socket.on('error', () => {});
    sockets.push(socket);
  }
  return sockets;
}

describe('the programmatic API', () => {
  it('listens on loopback by default, UDP and TCP on one port', async () => {
    expect(server.address).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const udp = dgram.createSocket('udp4');
    await expect(
      new Promise((resolve, reject) => udp.bind(server.port, '127.0.0.1', () => resolve(0)).once('error', reject)),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    udp.close();
    const tcp = net.createServer();
    await expect(
      new Promise((resolve, reject) => tcp.listen(server.port, '127.0.0.1', () => resolve(0)).once('error', reject)),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('says what happened when the port is taken, naming no flag (the caller knows its own)', async () => {
    const error = await startDnsServer({ zones: FIXTURE_ZONES, port: server.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenError);
    expect(error).toBeInstanceOf(ResourceError);
    expect(error).toMatchObject({ reason: 'in-use', address: '127.0.0.1', port: server.port, transport: 'udp' });
    expect((error as Error).message).toBe(`cannot listen on 127.0.0.1:${server.port}/udp: the port is already in use`);
  });

  it('says so, naming no flag, when the address is not an IP address', async () => {
    await expect(startDnsServer({ zones: FIXTURE_ZONES, address: 'localhost' })).rejects.toMatchObject({
      reason: 'not-an-address',
      message: 'cannot listen on localhost:0: "localhost" is not an IP address',
    });
  });

  it('says so when only the TCP port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const error = await startDnsServer({ zones: FIXTURE_ZONES, port }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}/tcp: the port is already in use`),
    );
    await new Promise((resolve) => blocker.close(resolve));
    // Nothing was left bound: the same port is free again for both.
    const free = await startDnsServer({ zones: FIXTURE_ZONES, port });
    await free.close();
  });

  it('stops with close() or asyncDispose, once, and frees the port', async () => {
    const short = await startDnsServer({ zones: FIXTURE_ZONES });
    const port = short.port;
    await Promise.all([short.close(), short[Symbol.asyncDispose](), short.close()]);
    await short.closed;
    await expect(resolver(port).resolve4('mail.example.org')).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNREFUSED|ETIMEOUT/),
    });
    const again = await startDnsServer({ zones: FIXTURE_ZONES, port });
    await again[Symbol.asyncDispose]();
  });

  // A machine without ::1 shows this as skipped (and .ci/run fails on skipped tests), never as passed.
  it.runIf(hasIPv6Loopback)('serves IPv6 loopback', async () => {
    await using v6 = await startDnsServer({ zones: FIXTURE_ZONES, address: '::1' });
    const r = new (await import('node:dns')).promises.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`[::1]:${v6.port}`]);
    expect(await r.resolve6('mail.example.org')).toEqual(['2001:db8::10']);
  });

  it('logs one entry per query: client, qname as sent, qtype, rcode, latency', async () => {
    logged.length = 0;
    await udpAsk(server.port, query('Example.ORG', 'MX'));
    await resolver(server.port)
      .resolve4('example.com')
      .catch(() => {});
    const [mx, refused] = logged;
    expect(mx).toMatchObject({
      transport: 'udp',
      qname: 'Example.ORG',
      qtype: 'MX',
      rcode: 'NOERROR',
      truncated: false,
    });
    expect(mx!.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(mx!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(mx!.size).toBeGreaterThan(12);
    expect(new Date(mx!.time).toISOString()).toBe(mx!.time);
    expect(refused).toMatchObject({ qname: 'example.com', qtype: 'A', rcode: 'REFUSED' });
  });

  it('injects faults for chosen questions, and stops when the rule is removed', async () => {
    server.setFault(({ name }) => (name === 'mail.example.org' ? 'servfail' : undefined));
    await expect(resolver(server.port).resolve4('mail.example.org')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(await resolver(server.port).resolveMx('example.org')).toHaveLength(2);
    server.setFault(undefined);
    expect(await resolver(server.port).resolve4('mail.example.org')).toEqual(['192.0.2.10']);
  });
});
