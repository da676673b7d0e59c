import { describe, expect, it } from 'vitest';
import { deriveZones, mailboxName } from '../../src/dns/derive.js';
import { recordLine } from '../../src/dns/presentation.js';
import type { Zone } from '../../src/dns/records.js';
import { planOf, topology, type TopologyDoc } from '../helpers/topology.js';
import { roundTrip } from './round-trip.js';

async function zonesOf(doc: TopologyDoc): Promise<Zone[]> {
  return deriveZones(await planOf(doc));
}

function linesOf(zones: readonly Zone[], origin: string): string[] {
  const zone = zones.find((z) => z.origin === origin);
  if (!zone) throw new Error(`no zone ${origin}; zones: ${zones.map((z) => z.origin).join(', ')}`);
  return zone.records.map(recordLine);
}

const SOA_TAIL = 'ns1.infra.example. hostmaster.example.net. 1 7200 1800 1209600 300';

describe('deriveZones on the base topology', () => {
  it('manages every mail domain, infrastructure zone and reverse zone, in canonical order', async () => {
    const zones = await zonesOf(topology());
    expect(zones.map((z) => `${z.origin} ${z.kind}`)).toEqual([
      '2.0.192.in-addr.arpa reverse',
      '100.51.198.in-addr.arpa reverse',
      '0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa reverse',
      'acme.example domain',
      'globex.example domain',
      'infra.example infrastructure',
      'parked.example domain',
    ]);
  });

  it('writes a mail domain: SOA, NS, MX by preference, SPF of its senders, DMARC', async () => {
    expect(linesOf(await zonesOf(topology()), 'acme.example')).toEqual([
      `acme.example. 3600 IN SOA ${SOA_TAIL}`,
      'acme.example. 3600 IN NS ns1.infra.example.',
      'acme.example. 3600 IN NS ns2.infra.example.',
      'acme.example. 3600 IN MX 10 mail1.infra.example.',
      'acme.example. 3600 IN MX 50 mx-backup.infra.example.',
      'acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip6:2001:db8::10 -all"',
      '_dmarc.acme.example. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"',
    ]);
  });

  it('writes a null-MX domain with the null SPF policy and DMARC p=reject (RFC 7505)', async () => {
    expect(linesOf(await zonesOf(topology()), 'parked.example')).toEqual([
      `parked.example. 3600 IN SOA ${SOA_TAIL}`,
      'parked.example. 3600 IN NS ns1.infra.example.',
      'parked.example. 3600 IN NS ns2.infra.example.',
      'parked.example. 3600 IN MX 0 .',
      'parked.example. 3600 IN TXT "v=spf1 -all"',
      '_dmarc.parked.example. 3600 IN TXT "v=DMARC1; p=reject"',
    ]);
  });

  it('puts hosts and name servers with their HELO SPF in the infrastructure zone', async () => {
    expect(linesOf(await zonesOf(topology()), 'infra.example')).toEqual([
      `infra.example. 3600 IN SOA ${SOA_TAIL}`,
      'infra.example. 3600 IN NS ns1.infra.example.',
      'infra.example. 3600 IN NS ns2.infra.example.',
      'mail1.infra.example. 3600 IN A 192.0.2.10',
      'mail1.infra.example. 3600 IN AAAA 2001:db8::10',
      'mail1.infra.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"',
      'mail2.infra.example. 3600 IN A 192.0.2.11',
      'mail2.infra.example. 3600 IN TXT "v=spf1 ip4:192.0.2.11 -all"',
      'mx-backup.infra.example. 3600 IN A 198.51.100.25',
      'mx-backup.infra.example. 3600 IN TXT "v=spf1 ip4:198.51.100.25 -all"',
      'ns1.infra.example. 3600 IN A 192.0.2.53',
      'ns2.infra.example. 3600 IN A 198.51.100.53',
    ]);
  });

  it('writes PTR for every host and name-server address inside a reverse zone', async () => {
    const zones = await zonesOf(topology());
    expect(linesOf(zones, '2.0.192.in-addr.arpa').slice(3)).toEqual([
      '10.2.0.192.in-addr.arpa. 3600 IN PTR mail1.infra.example.',
      '11.2.0.192.in-addr.arpa. 3600 IN PTR mail2.infra.example.',
      '53.2.0.192.in-addr.arpa. 3600 IN PTR ns1.infra.example.',
    ]);
    expect(linesOf(zones, '0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa').slice(3)).toEqual([
      '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR mail1.infra.example.',
    ]);
  });
});

/** Cases: a change to the base topology, the zone to look at, and lines it must (not) hold. */
const cases: readonly {
  name: string;
  edit: (t: TopologyDoc) => void;
  zone: string;
  has?: readonly string[];
  lacks?: readonly RegExp[];
}[] = [
  {
    name: 'a domain with no senders and no includes publishes v=spf1 -all',
    edit: (t) => {
      t.domains['acme.example'].senders = [];
    },
    zone: 'acme.example',
    has: ['acme.example. 3600 IN TXT "v=spf1 -all"'],
  },
  {
    name: 'explicit senders, spf.ip4/ip6 networks and includes: sorted, deduplicated, /32 dropped',
    edit: (t) => {
      t.domains['acme.example'].senders = ['store2', 'store1', 'store2'];
      t.domains['acme.example'].spf = {
        policy: '~all',
        ip4: ['192.0.2.10/32', '192.0.2.0/25', '10.0.0.1'],
        ip6: ['2001:DB8:0::10', '2001:db8:1::/48'],
        include: ['_spf.mailer.example', '_spf.mailer.example', 'spf.other.example'],
      };
    },
    zone: 'acme.example',
    has: [
      'acme.example. 3600 IN TXT "v=spf1 ip4:10.0.0.1 ip4:192.0.2.0/25 ip4:192.0.2.10 ip4:192.0.2.11 ' +
        'ip6:2001:db8::10 ip6:2001:db8:1::/48 include:_spf.mailer.example include:spf.other.example ~all"',
    ],
  },
  {
    name: 'a null-MX domain keeps the DMARC policy it plans',
    edit: (t) => {
      t.domains['parked.example'] = { mx: null, dmarc: { policy: 'quarantine', rua: ['d@acme.example'] } };
    },
    zone: 'parked.example',
    has: ['_dmarc.parked.example. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@acme.example"'],
  },
  {
    name: 'a domain without DMARC gets none (and without mx key, no MX)',
    edit: (t) => {
      t.domains['quiet.example'] = {};
    },
    zone: 'quiet.example',
    has: ['quiet.example. 3600 IN TXT "v=spf1 -all"'],
    lacks: [/_dmarc/, / MX /],
  },
  {
    name: 'DMARC tags in fixed order with sp, pct, several rua and ruf',
    edit: (t) => {
      t.domains['acme.example'].dmarc = {
        ruf: ['f@acme.example'],
        pct: 50,
        rua: ['a@acme.example', 'b@acme.example'],
        subdomainPolicy: 'reject',
        policy: 'none',
      };
    },
    zone: 'acme.example',
    has: [
      '_dmarc.acme.example. 3600 IN TXT "v=DMARC1; p=none; sp=reject; pct=50; rua=mailto:a@acme.example,mailto:b@acme.example; ruf=mailto:f@acme.example"',
    ],
  },
  {
    name: 'DMARC reports for another planned domain are authorised in that zone (RFC 7489 §7.1)',
    edit: (t) => {
      t.domains['globex.example'].dmarc = {
        policy: 'reject',
        rua: ['dmarc@acme.example'],
        ruf: ['dmarc@acme.example'],
      };
    },
    zone: 'acme.example',
    has: ['globex.example._report._dmarc.acme.example. 3600 IN TXT "v=DMARC1"'],
    lacks: [/^acme\.example\._report/],
  },
  {
    name: 'MTA-STS and TLS-RPT where planned',
    edit: (t) => {
      t.domains['acme.example'].mtaSts = { mode: 'enforce', id: '20240101' };
      t.domains['acme.example'].tlsRpt = {
        rua: ['mailto:tls@acme.example', 'https://reports.acme.example/tls', 'tls2@acme.example'],
      };
    },
    zone: 'acme.example',
    has: [
      '_mta-sts.acme.example. 3600 IN TXT "v=STSv1; id=20240101"',
      '_smtp._tls.acme.example. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls@acme.example,https://reports.acme.example/tls,mailto:tls2@acme.example"',
    ],
  },
  {
    name: "a domain's ttl applies to its RRsets; SOA and NS keep the plan's",
    edit: (t) => {
      t.domains['acme.example'].ttl = 300;
    },
    zone: 'acme.example',
    has: [
      `acme.example. 3600 IN SOA ${SOA_TAIL}`,
      'acme.example. 3600 IN NS ns1.infra.example.',
      'acme.example. 300 IN MX 10 mail1.infra.example.',
      '_dmarc.acme.example. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"',
    ],
  },
  {
    name: 'an IDN domain is one zone named by its A-labels',
    edit: (t) => {
      t.domains['bücher.example'] = { mx: [{ host: 'store1', preference: 10 }] };
    },
    zone: 'xn--bcher-kva.example',
    has: ['xn--bcher-kva.example. 3600 IN MX 10 mail1.infra.example.'],
  },
  {
    name: 'a host named inside a mail domain lives in that zone, with its HELO SPF',
    edit: (t) => {
      t.hosts.store1.fqdn = 'mail.acme.example';
    },
    zone: 'acme.example',
    has: [
      'acme.example. 3600 IN MX 10 mail.acme.example.',
      'mail.acme.example. 3600 IN A 192.0.2.10',
      'mail.acme.example. 3600 IN AAAA 2001:db8::10',
      'mail.acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"',
    ],
  },
  {
    name: 'hosts sharing a HELO name share one SPF record',
    edit: (t) => {
      t.hosts.store1.helo = 'out.infra.example';
      t.hosts.store2.helo = 'out.infra.example';
    },
    zone: 'infra.example',
    has: ['out.infra.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip6:2001:db8::10 -all"'],
    lacks: [/^mail1\.infra\.example\. .* TXT/],
  },
  {
    name: 'a HELO name at a mail domain apex adds no second SPF there (RFC 7208 §4.5)',
    edit: (t) => {
      t.hosts.store1.helo = 'acme.example';
    },
    zone: 'acme.example',
    has: ['acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip6:2001:db8::10 -all"'],
    lacks: [/TXT "v=spf1 ip4:192\.0\.2\.10 ip6:2001:db8::10 -all"/],
  },
  {
    name: 'a host with no address gets `a` in its HELO SPF',
    edit: (t) => {
      t.hosts.spare = { fqdn: 'spare.infra.example', role: 'relay' };
    },
    zone: 'infra.example',
    has: ['spare.infra.example. 3600 IN TXT "v=spf1 a -all"'],
  },
  {
    name: 'the SOA RNAME escapes dots in the local part',
    edit: (t) => {
      t.dns.soa.contact = 'dns.admin@infra.example';
    },
    zone: 'infra.example',
    has: ['infra.example. 3600 IN SOA ns1.infra.example. dns\\.admin.infra.example. 1 7200 1800 1209600 300'],
  },
  {
    name: 'a managed zone inside another is delegated, with glue for a name server below the cut',
    edit: (t) => {
      t.zones = ['infra.example', 'dns.infra.example'];
      t.dns.nameservers[0].name = 'ns1.dns.infra.example';
    },
    zone: 'infra.example',
    has: [
      'dns.infra.example. 3600 IN NS ns1.dns.infra.example.',
      'dns.infra.example. 3600 IN NS ns2.infra.example.',
      'ns1.dns.infra.example. 3600 IN A 192.0.2.53',
      'ns2.infra.example. 3600 IN A 198.51.100.53',
    ],
  },
  {
    name: 'a domain also listed under zones: is one zone of kind domain',
    edit: (t) => {
      t.zones = ['infra.example', 'acme.example'];
    },
    zone: 'acme.example',
    has: ['acme.example. 3600 IN MX 10 mail1.infra.example.'],
  },
];

describe('deriveZones cases', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const lines = linesOf(await zonesOf(topology(c.edit)), c.zone);
      for (const line of c.has ?? []) expect(lines).toContain(line);
      for (const pattern of c.lacks ?? []) expect(lines.filter((l) => pattern.test(l))).toEqual([]);
    });
  }

  it('generates no zone for a reverse network off an octet boundary (RFC 2317 is out of scope)', async () => {
    const zones = await zonesOf(
      topology((t) => {
        t.dns.reverse = ['192.0.2.128/25'];
      }),
    );
    expect(zones.filter((z) => z.kind === 'reverse')).toEqual([]);
  });

  it('splits TXT longer than 255 octets into character-strings of one record', async () => {
    const ip4 = Array.from({ length: 30 }, (_, i) => `203.0.113.${i + 1}`);
    const zones = await zonesOf(
      topology((t) => {
        t.domains['acme.example'].spf = { ip4 };
      }),
    );
    const spf = zones
      .find((z) => z.origin === 'acme.example')!
      .records.filter((r) => r.type === 'TXT' && r.name === 'acme.example');
    expect(spf).toHaveLength(1);
    const strings = spf[0]!.data as readonly string[];
    expect(strings.length).toBeGreaterThan(1);
    expect(strings.every((s) => Buffer.byteLength(s) <= 255)).toBe(true);
    expect(strings.join('')).toMatch(/^v=spf1 ip4:192\.0\.2\.10 .* ip4:203\.0\.113\.30 ip6:2001:db8::10 -all$/);
  });

  it('sets the serial it is given', async () => {
    const zones = deriveZones(await planOf(topology()), { serial: 2026010203 });
    for (const zone of zones) expect(zone.records[0]).toMatchObject({ type: 'SOA', data: { serial: 2026010203 } });
  });
});

describe('invariants over every derived zone', () => {
  const rich = topology((t) => {
    t.zones = ['infra.example', 'dns.infra.example'];
    t.dns.soa.contact = 'dns.admin@infra.example';
    t.domains['acme.example'].mtaSts = { mode: 'testing', id: 'abc123' };
    t.domains['acme.example'].tlsRpt = { rua: ['mailto:tls@acme.example'] };
    t.domains['acme.example'].spf = { ip4: Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`) };
    t.domains['globex.example'].ttl = 600;
    t.domains['bücher.example'] = { mx: [{ host: 'store1', preference: 10 }] };
  });

  it('starts each zone with its SOA and NS at the apex, and keeps every owner inside the zone', async () => {
    for (const zone of await zonesOf(rich)) {
      expect(zone.records[0]).toMatchObject({ name: zone.origin, type: 'SOA' });
      expect(zone.records.filter((r) => r.type === 'SOA')).toHaveLength(1);
      expect(zone.records[1]).toMatchObject({ name: zone.origin, type: 'NS' });
      for (const r of zone.records) expect(r.name === zone.origin || r.name.endsWith(`.${zone.origin}`)).toBe(true);
    }
  });

  it('gives every RRset one TTL and holds no duplicate record (RFC 2181 §5)', async () => {
    for (const zone of await zonesOf(rich)) {
      const ttls = new Map<string, Set<number>>();
      const seen = new Set<string>();
      for (const r of zone.records) {
        const key = `${r.name} ${r.type}`;
        ttls.set(key, (ttls.get(key) ?? new Set()).add(r.ttl));
        const line = recordLine(r);
        expect(seen.has(line), line).toBe(false);
        seen.add(line);
      }
      for (const [key, set] of ttls) expect(set.size, key).toBe(1);
    }
  });

  it('is deterministic: the same plan gives equal zones', async () => {
    const [a, b] = [await zonesOf(rich), await zonesOf(rich)];
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('round-trips every record through dns-packet unchanged (what is written is servable)', async () => {
    for (const zone of await zonesOf(rich)) {
      for (const record of zone.records) expect(roundTrip(record), recordLine(record)).toEqual(record);
    }
  });
});

describe('mailboxName', () => {
  it.each([
    ['hostmaster@infra.example', 'hostmaster.infra.example'],
    ['first.last@infra.example', 'first\\.last.infra.example'],
    ['a.b.c@example.org', 'a\\.b\\.c.example.org'],
  ])('%s → %s', (address, name) => {
    expect(mailboxName(address)).toBe(name);
  });
});
