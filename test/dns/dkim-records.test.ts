/**
 * DKIM key records as the responder serves them (test/golden/003-dkim): split into
 * character-strings of at most 255 octets that join to the record (RFC 6376 §3.6.2.2), and a
 * 4096-bit key's answer, larger than a classic 512-octet UDP reply, truncated (TC) over UDP and
 * whole over TCP (RFC 1035 §4.2.1, RFC 7766), through dig and through c-ares.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveZones } from '../../src/dns/derive.js';
import { dkimText } from '../../src/dns/dkim.js';
import { startDnsServer, type DnsServer, type QueryLogEntry } from '../../src/dns/server.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { dig, digHeader, resolver } from './server/clients.js';

const hasDig = requireTool('dig');
const TOPOLOGY = join(ROOT, 'test', 'golden', '003-dkim', 'topology.yaml');
const BIG = 's4096._domainkey.big.example';

let plan: Plan;
let server: DnsServer;
/** Answers nothing over 512 octets on UDP, EDNS or not: every large answer goes to TCP. */
let small: DnsServer;
const logged: QueryLogEntry[] = [];

beforeAll(async () => {
  plan = (await loadPlan(TOPOLOGY)).plan!;
  const zones = deriveZones(plan);
  server = await startDnsServer({ zones, port: 0 });
  small = await startDnsServer({ zones, port: 0, maxUdpPayload: 512, log: (entry) => logged.push(entry) });
});
afterAll(async () => {
  await server?.close();
  await small?.close();
});

/** The record text the plan publishes for a selector. */
function expected(owner: string): string {
  const [selector, , ...domain] = owner.split('.');
  const s = plan.domains.get(domain.join('.'))!.dkim.find((d) => d.selector === selector)!;
  return dkimText(s)!;
}

describe('DKIM records', () => {
  it('are split into strings of at most 255 octets that join to the record', () => {
    const records = deriveZones(plan).flatMap((z) => z.records.filter((r) => r.name.includes('._domainkey.')));
    expect(records.map((r) => r.name).sort()).toEqual([
      'e2026._domainkey.dual.example',
      's2024._domainkey.dual.example',
      's2025._domainkey.dual.example',
      's2026._domainkey.dual.example',
      's2027._domainkey.dual.example',
      BIG,
    ]);
    for (const r of records) {
      const strings = r.data as readonly string[];
      for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
      expect(strings.join('')).toBe(expected(r.name));
    }
    const big = records.find((r) => r.name === BIG)!.data as readonly string[];
    expect(big.length).toBe(Math.ceil(Buffer.byteLength(expected(BIG)) / 255));
    // A removed selector is published revoked (RFC 6376 §3.6.1).
    expect(expected('s2024._domainkey.dual.example')).toBe('v=DKIM1; k=rsa; p=');
  });
});

describe.runIf(hasDig)('a 4096-bit key through dig', () => {
  it('is truncated (TC, no answer) in a 512-octet UDP reply', async () => {
    const { output } = await dig(server.port, ['+noedns', '+notcp', '+ignore', BIG, 'TXT']);
    const header = digHeader(output);
    expect(header.flags).toContain('tc');
    expect(header.answer).toBe(0);
  });

  it('comes whole over TCP, its strings joining to the record', async () => {
    const { output } = await dig(server.port, ['+tcp', '+noall', '+answer', BIG, 'TXT']);
    const data = /IN\s+TXT\s+(.*)$/m.exec(output)![1]!;
    const strings = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(strings.length).toBeGreaterThan(2);
    expect(strings.join('')).toBe(expected(BIG));
  });

  it('fits an EDNS(0) reply of 1232 octets, untruncated (DNS Flag Day 2020)', async () => {
    const { output } = await dig(server.port, ['+notcp', '+bufsize=1232', BIG, 'TXT']);
    expect(digHeader(output).flags).not.toContain('tc');
    expect(digHeader(output).answer).toBe(1);
  });
});

describe('a 4096-bit key through c-ares (Node dns.Resolver)', () => {
  it('resolves whole: c-ares retries over TCP when the UDP reply is truncated', async () => {
    logged.length = 0;
    const txt = await resolver(small.port).resolveTxt(BIG);
    expect(txt).toHaveLength(1);
    expect(txt[0]!.join('')).toBe(expected(BIG));
    const asked = logged.filter((e) => e.qname?.toLowerCase() === BIG);
    expect(asked.map((e) => e.transport)).toEqual(['udp', 'tcp']);
  });

  it('resolves every selector of the plan, Ed25519 and revoked ones too', async () => {
    const r = resolver(server.port);
    for (const owner of ['e2026._domainkey.dual.example', 's2024._domainkey.dual.example', BIG])
      expect((await r.resolveTxt(owner)).map((strings) => strings.join(''))).toEqual([expected(owner)]);
  });
});
