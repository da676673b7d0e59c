import { describe, expect, it } from 'vitest';
import { resolveNextHop, shuffleEqualPreferences, type HopResolution } from '../../src/mail/next-hop.js';
import type { MailResolver } from '../../src/mail/resolver.js';
import { planOf, topology } from '../helpers/topology.js';

/** A resolver from a table keyed 'name:TYPE'; a missing MX or address key answers ENODATA, an 'error' entry fails with that code. */
function tableResolver(table: Record<string, unknown>): MailResolver {
  const answer = async (key: string) => {
    const value = table[key];
    if (value === undefined) {
      const name = key.split(':')[0]!;
      const exists = Object.keys(table).some((k) => k.startsWith(`${name}:`));
      throw Object.assign(new Error(key), { code: exists || name.endsWith('.example') ? 'ENODATA' : 'ENOTFOUND' });
    }
    if (typeof value === 'string' && value.startsWith('E')) throw Object.assign(new Error(key), { code: value });
    return value;
  };
  return {
    resolveMx: (d) => answer(`${d}:MX`) as never,
    resolve4: (n) => answer(`${n}:A`) as never,
    resolve6: (n) => answer(`${n}:AAAA`) as never,
  };
}

const dns = tableResolver({
  'acme.example:MX': [
    { exchange: 'mx-backup.infra.example', priority: 50 },
    { exchange: 'mail1.infra.example', priority: 10 },
  ],
  'mail1.infra.example:A': ['192.0.2.10'],
  'mail1.infra.example:AAAA': ['2001:db8:0:0::10'],
  'mx-backup.infra.example:A': ['198.51.100.25'],
  'implicit.example:A': ['192.0.2.99'],
  'parked.example:MX': [{ exchange: '', priority: 0 }],
  'mixed.example:MX': [
    { exchange: '', priority: 0 },
    { exchange: 'mail1.infra.example', priority: 10 },
  ],
  'servfail.example:MX': 'ESERVFAIL',
  'eq.example:MX': [
    { exchange: 'a.example', priority: 10 },
    { exchange: 'b.example', priority: 10 },
    { exchange: 'c.example', priority: 20 },
  ],
  'a.example:A': ['192.0.2.1'],
  'b.example:A': ['192.0.2.2'],
  'c.example:A': ['192.0.2.3'],
  'noaddr.example:MX': [{ exchange: 'gone.example', priority: 10 }],
  'self-only.example:MX': [
    { exchange: 'mx-backup.infra.example', priority: 10 },
    { exchange: 'other.example', priority: 20 },
  ],
  'other.example:A': ['192.0.2.77'],
});

const backupSelf = { fqdn: 'mx-backup.infra.example', addresses: new Set(['198.51.100.25']) };
const outsider = { fqdn: 'outside.example.net', addresses: new Set<string>() };
const first = () => 0;

function show(r: HopResolution): string {
  return r.ok
    ? r.candidates.map((c) => `${c.preference} ${c.exchange} ${c.address}`).join(' | ')
    : `${r.reply.code} ${r.reply.enhanced}`;
}

describe('resolveNextHop (RFC 5321 §5.1)', () => {
  const cases: [name: string, domain: string, self: typeof backupSelf, expected: string][] = [
    [
      'MX by preference, A before AAAA',
      'acme.example',
      outsider,
      '10 mail1.infra.example 192.0.2.10 | 10 mail1.infra.example 2001:db8::10 | 50 mx-backup.infra.example 198.51.100.25',
    ],
    [
      'a backup discards itself and every MX at or above its preference',
      'acme.example',
      backupSelf,
      '10 mail1.infra.example 192.0.2.10 | 10 mail1.infra.example 2001:db8::10',
    ],
    ['no MX: the implicit MX is the domain itself', 'implicit.example', outsider, '0 implicit.example 192.0.2.99'],
    ['a lone null MX is permanent (RFC 7505)', 'parked.example', outsider, '556 5.1.10'],
    [
      'a null MX mixed with real ones is ignored',
      'mixed.example',
      outsider,
      '10 mail1.infra.example 192.0.2.10 | 10 mail1.infra.example 2001:db8::10',
    ],
    ['NXDOMAIN is permanent', 'nowhere.test', outsider, '550 5.1.2'],
    ['SERVFAIL is temporary', 'servfail.example', outsider, '451 4.4.3'],
    ['an MX without addresses leaves nothing to try: temporary', 'noaddr.example', outsider, '451 4.4.1'],
    ['the most preferred MX finding itself has nowhere to go', 'self-only.example', backupSelf, '554 5.4.6'],
  ];
  it.each(cases)('%s', async (_name, domain, self, expected) => {
    expect(show(await resolveNextHop({ kind: 'mx', domain }, { resolver: dns, self, random: first }))).toBe(expected);
  });

  it('goes to a planned host by its planned addresses, without MX lookup (transport map)', async () => {
    const plan = await planOf(topology());
    const resolution = await resolveNextHop(
      { kind: 'host', host: plan.hosts.get('store1')! },
      { resolver: tableResolver({}), self: outsider, random: first },
    );
    expect(show(resolution)).toBe('0 mail1.infra.example 192.0.2.10 | 0 mail1.infra.example 2001:db8::10');
  });

  it('randomises equal preferences, never across preferences', async () => {
    const seen = new Set<string>();
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const res = await resolveNextHop(
        { kind: 'mx', domain: 'eq.example' },
        { resolver: dns, self: outsider, random: () => r },
      );
      const order = res.ok ? res.candidates.map((c) => c.exchange[0]).join('') : '';
      expect(order.at(-1)).toBe('c');
      seen.add(order);
    }
    expect(seen).toEqual(new Set(['abc', 'bac']));
  });
});

describe('shuffleEqualPreferences', () => {
  it('is an unbiased shuffle within a preference (Fisher-Yates)', () => {
    const records = [1, 2, 3].map((n) => ({ priority: 10, n }));
    const counts = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 6000; i++) {
      const key = shuffleEqualPreferences(records, random)
        .map((r) => r.n)
        .join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(c).toBeGreaterThan(800); // 1000 expected each
  });
});
