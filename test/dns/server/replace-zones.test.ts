/**
 * A running server swaps its zones at once (`verify --from` switches a running plan's DNS):
 * c-ares and dig see the new data at the next query, answers the old zones had encoded are not
 * given again, and no answer mixes the two, even with queries in flight while it swaps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type LocalDnsServer } from '../../../src/dns/server.js';
import { requireTool } from '../../helpers/tools.js';
import { decode, query, sections, zone } from '../responder/dns-test.js';
import { dig, resolver, udpAsk } from './clients.js';

/** The old and the new zone of a domain whose backup MX is replaced (mx-backup → mx2). */
const soa = (serial: number) =>
  `example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. ${serial} 7200 1800 1209600 300`;
const OLD = [
  zone('example.org', [
    soa(1),
    'example.org. 3600 IN NS ns1.example.org.',
    'example.org. 3600 IN MX 10 mail.example.org.',
    'example.org. 3600 IN MX 50 mx-backup.example.org.',
    'mail.example.org. 3600 IN A 192.0.2.10',
    'mx-backup.example.org. 3600 IN A 198.51.100.25',
    'ns1.example.org. 3600 IN A 192.0.2.53',
  ]),
];
const NEW = [
  zone('example.org', [
    soa(2),
    'example.org. 3600 IN NS ns1.example.org.',
    'example.org. 3600 IN MX 10 mail.example.org.',
    'example.org. 3600 IN MX 50 mx2.example.org.',
    'mail.example.org. 3600 IN A 192.0.2.10',
    'mx2.example.org. 3600 IN A 198.51.100.26',
    'ns1.example.org. 3600 IN A 192.0.2.53',
  ]),
];

let server: LocalDnsServer;
beforeAll(async () => {
  server = await startDnsServer({ zones: OLD, port: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe('replaceZones', () => {
  it('answers from the new zones at the next query, to c-ares and dig', async () => {
    const hasDig = requireTool('dig');
    const r = resolver(server.port);
    expect(await r.resolveMx('example.org')).toContainEqual({ exchange: 'mx-backup.example.org', priority: 50 });
    expect(await r.resolve4('mx-backup.example.org')).toEqual(['198.51.100.25']);
    server.replaceZones(NEW);
    try {
      // The same questions again: what the old zones had encoded (the answer cache) is gone.
      expect((await r.resolveMx('example.org')).sort((a, b) => a.priority - b.priority)).toEqual([
        { exchange: 'mail.example.org', priority: 10 },
        { exchange: 'mx2.example.org', priority: 50 },
      ]);
      await expect(r.resolve4('mx-backup.example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      expect(await r.resolve4('mx2.example.org')).toEqual(['198.51.100.26']);
      expect((await r.resolveSoa('example.org')).serial).toBe(2);
      if (hasDig) {
        const { output } = await dig(server.port, ['example.org', 'MX', '+norecurse']);
        expect(output).toContain('mx2.example.org.');
        expect(output).not.toContain('mx-backup');
      }
    } finally {
      server.replaceZones(OLD);
    }
  });

  it('never gives an answer that mixes the old zones and the new, with queries in flight', async () => {
    // An MX answer carries the exchanges' addresses as additional data: a mixed answer would pair
    // one zone's MX with the other's addresses.
    const whole = (zones: typeof OLD) => {
      const names = zones[0]!.records
        .filter((r) => r.type === 'MX')
        .map((r) => (r.data as { exchange: string }).exchange);
      return names.sort().join(' ');
    };
    const seen = new Set<string>();
    let swaps = 0;
    const swapping = setInterval(() => server.replaceZones(++swaps % 2 === 0 ? OLD : NEW), 1);
    try {
      for (let round = 0; round < 20; round++) {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => udpAsk(server.port, query('example.org', 'MX'))),
        );
        for (const reply of replies) {
          const { answer, additional } = sections(decode(reply));
          const exchanges = answer.map((l) => l.split(' ').at(-1)!.replace(/\.$/, '')).sort();
          const glued = additional.map((l) => l.split(' ')[0]!.replace(/\.$/, '')).sort();
          // The additional section holds the addresses of exactly the exchanges answered that it serves.
          expect(glued).toEqual(exchanges);
          seen.add(exchanges.join(' '));
        }
      }
    } finally {
      clearInterval(swapping);
      server.replaceZones(OLD);
    }
    expect(swaps).toBeGreaterThan(1);
    expect([...seen].every((s) => s === whole(OLD) || s === whole(NEW))).toBe(true);
  });
});
