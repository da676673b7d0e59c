/**
 * The lab's DNS query log with BIND, NSD and Knot: each daemon reports every response over
 * dnstap (src/dns/dnstap.ts), and the lab tells the contract's onDnsQuery listeners. Asked with
 * c-ares (node:dns) through the lab's DNS endpoint, the queries arrive from the outside's
 * address, each with its question, transport and RCODE.
 */
import dns from 'node:dns';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DnsQuery } from '../../src/sandbox/engine.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';
import { haveLab, labFactory } from './support/lab.js';

vi.setConfig({ testTimeout: 120_000 });
afterAll(removeTempDirs);

const plan = await planOf(topology());

describe.runIf(haveLab())('the lab reads the query log of each name server over dnstap', () => {
  it.each(['bind', 'nsd', 'knot'] as const)('%s', async (server) => {
    const lab = await labFactory({ mta: 'builtin', dns: server })({
      plan,
      stateDir: await tempDir(`dns-log-${server}`),
    });
    try {
      const seen: DnsQuery[] = [];
      const remove = lab.onDnsQuery((q) => seen.push(q));
      const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 3 });
      resolver.setServers([`${lab.dns.address}:${lab.dns.port}`]);
      expect((await resolver.resolveMx('acme.example')).length).toBeGreaterThan(0);
      await expect(resolver.resolve4('nothing-here.acme.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      // fstrm writers flush at least once a second.
      await vi.waitFor(
        () =>
          expect(seen.filter((q) => q.name?.endsWith('acme.example')).map((q) => [q.name, q.type, q.rcode])).toEqual(
            expect.arrayContaining([
              ['acme.example', 'MX', 'NOERROR'],
              ['nothing-here.acme.example', 'A', 'NXDOMAIN'],
            ]),
          ),
        { timeout: 10_000, interval: 100 },
      );
      remove();
      for (const q of seen.filter((q) => q.name?.endsWith('acme.example'))) {
        // From the lab's Internet, the only place its DNS endpoint asks from.
        expect(q.client).toMatch(/^(203\.0\.113\.1|\[3fff::1\]):\d+$/);
        expect(q.transport).toBe('udp');
        expect(q.host).toBeUndefined();
        expect(q.time).toBeGreaterThan(Date.now() - 60_000);
      }
    } finally {
      await lab.close();
    }
  });
});
