/**
 * Robustness: well over 100,000 mutated and random packets (cut headers, label and pointer
 * loops, huge counts, bad EDNS) through the responder and through a real server's UDP and TCP
 * sockets, and a datagram from source port 0, which has no reply address. Nothing throws, every reply is a well-formed response to its query, the server keeps
 * answering real clients afterwards, and its heap does not grow with the packets it has seen.
 */
import * as dnsPacket from 'dns-packet';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../../src/dns/responder/chain.js';
import { startDnsServer } from '../../../src/dns/server.js';
import { requireTool } from '../../helpers/tools.js';
import { FIXTURE_ZONES, query, responder } from '../responder/dns-test.js';
import { mutant, random, seeds } from './fuzz-gen.js';
import { closedByPeer, connect, resolver, framed } from './clients.js';

const PACKETS = 100_000;

/** A raw socket can send from UDP port 0; it needs root (CI runs as root) and python3. */
const rawSockets = ((): boolean => {
  if (!requireTool('python3')) return false;
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error('the source-port-0 test sends from a raw socket, which needs root');
  return false;
})();

/** Sends `payload` to 127.0.0.1:port in a UDP datagram whose source port is 0 (RFC 768: "not used"). */
async function sendFromPortZero(port: number, payload: Buffer): Promise<void> {
  const script = [
    'import socket, struct, sys',
    'port, payload = int(sys.argv[1]), bytes.fromhex(sys.argv[2])',
    // Checksum 0: none computed (RFC 768).
    "udp = struct.pack('!HHHH', 0, port, 8 + len(payload), 0) + payload",
    "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP).sendto(udp, ('127.0.0.1', 0))",
  ].join('\n');
  await promisify(execFile)('python3', ['-c', script, String(port), payload.toString('hex')]);
}

describe('fuzz', () => {
  it(`the responder answers ${PACKETS} mutants with well-formed replies, or drops them`, () => {
    const r = responder();
    const next = random(0x5eed);
    const base = seeds();
    let replies = 0;
    const wrong: string[] = [];
    for (let i = 0; i < PACKETS && wrong.length < 5; i++) {
      const packet = mutant(next, base);
      const transport = i % 4 === 0 ? 'tcp' : 'udp';
      const outcome = r.respond(Buffer.from(packet), transport);
      const x = r.exchange;
      // Only what has no header, or is itself a response, goes unanswered.
      if (outcome === Outcome.DROP) {
        if (packet.length >= 12 && (packet[2]! & 0x80) === 0) wrong.push(`dropped ${packet.toString('hex')}`);
        continue;
      }
      if (outcome === Outcome.TRANSFER) continue;
      const reply = Buffer.concat(x.opt ? [x.head, x.tail, x.opt] : [x.head, x.tail]);
      const limit = transport === 'tcp' ? 65535 : x.query.edns ? 1232 : 512;
      const problem =
        reply.length !== x.length ? 'length' : reply.length > limit ? 'size' : malformed(reply, packet.readUInt16BE(0));
      if (problem) wrong.push(`${problem}: ${packet.toString('hex')} -> ${reply.toString('hex')}`);
      replies++;
    }
    expect(wrong).toEqual([]);
    expect(replies).toBeGreaterThan(PACKETS / 2);
  });

  it(`a server takes ${PACKETS} mutants over UDP and garbage over TCP, keeps answering, and its heap stays flat`, async () => {
    let processed = 0;
    await using server = await startDnsServer({
      zones: FIXTURE_ZONES,
      tcpIdleTimeoutMs: 200,
      log: () => void processed++,
    });
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.connect(server.port, '127.0.0.1', resolve));
    client.on('message', () => {});
    const next = random(0xf00d);
    const base = seeds();

    const blast = async (count: number): Promise<void> => {
      const target = processed + count;
      for (let sent = 0; sent < count;) {
        // Send a burst no socket buffer can overflow, then let the server catch up.
        const burst = Math.min(100, count - sent);
        const before = processed;
        for (let i = 0; i < burst; i++) client.send(mutant(next, base));
        sent += burst;
        while (processed < before + burst) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(processed).toBe(target);
    };

    await blast(5_000); // warm up: JIT, pools
    const heapBefore = settledHeap();
    await blast(PACKETS);
    const growth = settledHeap() - heapBefore;
    expect(growth, `heap grew by ${growth} octets`).toBeLessThan(8 << 20);
    client.close();

    // Garbage over TCP: random octets, absurd length prefixes, then hanging up or stalling.
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(server.port)));
    sockets.forEach((socket, i) => {
      socket.on('error', () => {});
      socket.write(i % 3 === 0 ? framed(mutant(next, base)) : mutant(next, base));
      if (i % 2 === 0) socket.end();
    });
    await Promise.all(sockets.map(closedByPeer));

    // Still answering real clients.
    expect(await resolver(server.port).resolveMx('example.org')).toHaveLength(2);
    expect(await resolver(server.port).resolve4('many.example.org')).toHaveLength(40);
  });

  it.runIf(rawSockets)('a query from source port 0 gets no reply and stops nothing', async () => {
    let seen = 0;
    const errors: unknown[] = [];
    await using server = await startDnsServer({
      zones: FIXTURE_ZONES,
      log: () => void seen++,
      onError: (error) => errors.push(error),
    });
    await sendFromPortZero(server.port, query('example.org', 'SOA'));
    while (seen < 1) await new Promise((resolve) => setImmediate(resolve));
    expect(await resolver(server.port).resolveMx('example.org')).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});

/** Why a reply is not a well-formed response to query `id` (dns-packet decodes it), or undefined. */
function malformed(reply: Buffer, id: number): string | undefined {
  try {
    const decoded = dnsPacket.decode(reply);
    if (decoded.id !== id) return 'id';
    if (decoded.type !== 'response') return 'QR';
    return undefined;
  } catch (error) {
    return `undecodable (${(error as Error).message})`;
  }
}

/** Heap in use after a full collection (gc exposed at run time for this measurement). */
function settledHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
