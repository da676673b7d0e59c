/**
 * What the responder answers, as CoreDNS's file plugin tests it: one row per question, the
 * expected sections as zone text. Each row goes through the whole chain (parse, zone,
 * authority, fit) and its reply is decoded by dns-packet.
 */
import { describe, expect, it } from 'vitest';
import { ask, decode, query, responder, sections } from './dns-test.js';

interface Case {
  readonly qname: string;
  readonly qtype: string;
  readonly rcode: string;
  /** AA; default true except for REFUSED and referrals. */
  readonly aa?: boolean;
  readonly answer?: readonly string[];
  readonly authority?: readonly string[];
  readonly additional?: readonly string[];
}

const SOA_ORG = 'example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300';
const SOA_NET = 'example.net. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300';
const MAIL_A = 'mail.example.org. 3600 IN A 192.0.2.10';
const MAIL_AAAA = 'mail.example.org. 3600 IN AAAA 2001:db8::10';

const CASES: readonly (Case & { readonly why: string })[] = [
  {
    why: 'MX with the addresses of targets we serve, in this zone and another (RFC 1035 §3.3.9)',
    qname: 'example.org',
    qtype: 'MX',
    rcode: 'NOERROR',
    answer: ['example.org. 3600 IN MX 10 mail.example.org.', 'example.org. 3600 IN MX 20 backup.example.net.'],
    additional: [MAIL_A, MAIL_AAAA, 'backup.example.net. 3600 IN A 198.51.100.25'],
  },
  {
    why: 'NS with the addresses of the name servers (RFC 1035 §3.3.11)',
    qname: 'example.org',
    qtype: 'NS',
    rcode: 'NOERROR',
    answer: ['example.org. 3600 IN NS ns1.example.org.', 'example.org. 3600 IN NS ns2.example.net.'],
    additional: ['ns1.example.org. 3600 IN A 192.0.2.53', 'ns2.example.net. 3600 IN A 198.51.100.53'],
  },
  {
    why: 'SOA at the apex',
    qname: 'example.org',
    qtype: 'SOA',
    rcode: 'NOERROR',
    answer: ['example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300'],
  },
  {
    why: 'TXT',
    qname: '_dmarc.example.org',
    qtype: 'TXT',
    rcode: 'NOERROR',
    answer: ['_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=reject"'],
  },
  { why: 'A', qname: 'mail.example.org', qtype: 'A', rcode: 'NOERROR', answer: [MAIL_A] },
  { why: 'AAAA', qname: 'mail.example.org', qtype: 'AAAA', rcode: 'NOERROR', answer: [MAIL_AAAA] },
  {
    why: 'NODATA: the SOA with TTL min(TTL, MINIMUM) (RFC 2308 §3)',
    qname: 'mail.example.org',
    qtype: 'TXT',
    rcode: 'NOERROR',
    authority: [SOA_ORG],
  },
  {
    why: 'NODATA for a type outside the model',
    qname: 'example.org',
    qtype: 'CAA',
    rcode: 'NOERROR',
    authority: [SOA_ORG],
  },
  {
    why: 'NXDOMAIN carries the SOA (RFC 2308 §3)',
    qname: 'nx.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    authority: [SOA_ORG],
  },
  {
    why: 'NXDOMAIN several labels down',
    qname: 'a.b.c.nx.example.org',
    qtype: 'MX',
    rcode: 'NXDOMAIN',
    authority: [SOA_ORG],
  },
  {
    why: 'an empty non-terminal exists: NODATA, not NXDOMAIN (RFC 8020)',
    qname: 'deep.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    authority: [SOA_ORG],
  },
  {
    why: 'below an existing name',
    qname: 'nx.host.deep.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    authority: [SOA_ORG],
  },
  {
    why: 'a CNAME is followed within our zones (RFC 1034 §4.3.2)',
    qname: 'www.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    answer: ['www.example.org. 3600 IN CNAME mail.example.org.', MAIL_A],
  },
  {
    why: 'a CNAME chain',
    qname: 'alias.example.org',
    qtype: 'AAAA',
    rcode: 'NOERROR',
    answer: [
      'alias.example.org. 3600 IN CNAME www.example.org.',
      'www.example.org. 3600 IN CNAME mail.example.org.',
      MAIL_AAAA,
    ],
  },
  {
    why: 'the CNAME itself',
    qname: 'www.example.org',
    qtype: 'CNAME',
    rcode: 'NOERROR',
    answer: ['www.example.org. 3600 IN CNAME mail.example.org.'],
  },
  {
    why: 'a CNAME to a name without the type: NODATA at the target',
    qname: 'www.example.org',
    qtype: 'MX',
    rcode: 'NOERROR',
    answer: ['www.example.org. 3600 IN CNAME mail.example.org.'],
    authority: [SOA_ORG],
  },
  {
    why: 'a CNAME asked for an uncommon type (resolved per query)',
    qname: 'www.example.org',
    qtype: 'CAA',
    rcode: 'NOERROR',
    answer: ['www.example.org. 3600 IN CNAME mail.example.org.'],
    authority: [SOA_ORG],
  },
  {
    why: 'a CNAME to a name that does not exist: the final RCODE (RFC 6604 §3)',
    qname: 'dangling.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    answer: ['dangling.example.org. 3600 IN CNAME missing.example.org.'],
    authority: [SOA_ORG],
  },
  {
    why: 'a CNAME out of our zones is not followed',
    qname: 'away.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    answer: ['away.example.org. 3600 IN CNAME elsewhere.example.com.'],
  },
  {
    why: 'a CNAME loop ends',
    qname: 'loop1.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    answer: [
      'loop1.example.org. 3600 IN CNAME loop2.example.org.',
      'loop2.example.org. 3600 IN CNAME loop1.example.org.',
    ],
  },
  {
    why: 'a delegation we do not serve: a referral with glue, AA clear (RFC 1034 §4.3.2)',
    qname: 'sub.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: false,
    authority: ['sub.example.org. 3600 IN NS ns.sub.example.org.'],
    additional: ['ns.sub.example.org. 3600 IN A 192.0.2.54'],
  },
  {
    why: 'below a delegation',
    qname: 'x.y.sub.example.org',
    qtype: 'MX',
    rcode: 'NOERROR',
    aa: false,
    authority: ['sub.example.org. 3600 IN NS ns.sub.example.org.'],
    additional: ['ns.sub.example.org. 3600 IN A 192.0.2.54'],
  },
  {
    why: 'glue is not authoritative data',
    qname: 'ns.sub.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: false,
    authority: ['sub.example.org. 3600 IN NS ns.sub.example.org.'],
    additional: ['ns.sub.example.org. 3600 IN A 192.0.2.54'],
  },
  {
    why: 'a child zone we also serve answers for itself',
    qname: 'child.example.org',
    qtype: 'NS',
    rcode: 'NOERROR',
    answer: ['child.example.org. 600 IN NS ns1.example.org.'],
    additional: ['ns1.example.org. 3600 IN A 192.0.2.53'],
  },
  {
    why: 'inside the served child zone',
    qname: 'www.child.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    answer: ['www.child.example.org. 600 IN A 192.0.2.30'],
  },
  {
    why: 'NXDOMAIN in the child carries the child SOA',
    qname: 'nx.child.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    authority: ['child.example.org. 60 IN SOA ns1.example.org. hostmaster.example.org. 7 7200 1800 1209600 60'],
  },
  {
    why: 'a wildcard synthesises the owner (RFC 4592 §3.3.1)',
    qname: 'anything.wild.example.net',
    qtype: 'TXT',
    rcode: 'NOERROR',
    answer: ['anything.wild.example.net. 3600 IN TXT "wildcard"'],
  },
  {
    why: 'a wildcard two labels down, with additional data',
    qname: 'a.b.wild.example.net',
    qtype: 'MX',
    rcode: 'NOERROR',
    answer: ['a.b.wild.example.net. 3600 IN MX 10 backup.example.net.'],
    additional: ['backup.example.net. 3600 IN A 198.51.100.25'],
  },
  {
    why: 'a wildcard without the type: NODATA',
    qname: 'anything.wild.example.net',
    qtype: 'A',
    rcode: 'NOERROR',
    authority: [SOA_NET],
  },
  {
    why: 'the parent of a wildcard is an empty non-terminal',
    qname: 'wild.example.net',
    qtype: 'TXT',
    rcode: 'NOERROR',
    authority: [SOA_NET],
  },
  {
    why: 'a wildcard does not cover its siblings',
    qname: 'other.example.net',
    qtype: 'TXT',
    rcode: 'NXDOMAIN',
    authority: [SOA_NET],
  },
  {
    why: 'the null MX has no additional data (RFC 7505)',
    qname: 'null.example.org',
    qtype: 'MX',
    rcode: 'NOERROR',
    answer: ['null.example.org. 3600 IN MX 0 .'],
  },
  {
    why: 'reverse zone PTR',
    qname: '10.2.0.192.in-addr.arpa',
    qtype: 'PTR',
    rcode: 'NOERROR',
    answer: ['10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.org.'],
  },
  {
    why: 'ANY gets one RRset (RFC 8482 §4.1)',
    qname: 'example.org',
    qtype: 'ANY',
    rcode: 'NOERROR',
    answer: ['example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300'],
  },
  {
    why: 'ANY at a name with several types',
    qname: 'mail.example.org',
    qtype: 'ANY',
    rcode: 'NOERROR',
    answer: [MAIL_A],
  },
  {
    why: 'ANY at a name that does not exist',
    qname: 'nx.example.org',
    qtype: 'ANY',
    rcode: 'NXDOMAIN',
    authority: [SOA_ORG],
  },
  { why: 'outside every served zone: REFUSED', qname: 'example.com', qtype: 'A', rcode: 'REFUSED', aa: false },
  { why: 'the parent of a served zone is not served', qname: 'org', qtype: 'NS', rcode: 'REFUSED', aa: false },
  { why: 'the root is not served', qname: '.', qtype: 'NS', rcode: 'REFUSED', aa: false },
];

describe('authority', () => {
  const server = responder();
  it.each(CASES)('$qname $qtype: $why', (c) => {
    const reply = decode(ask(server, query(c.qname, c.qtype))!);
    expect(reply.rcode).toBe(c.rcode);
    const aa = c.aa ?? c.rcode !== 'REFUSED';
    expect(reply.flag_aa).toBe(aa);
    expect(sections(reply)).toEqual({
      answer: c.answer ?? [],
      authority: c.authority ?? [],
      additional: c.additional ?? [],
    });
  });

  it('answers every row the same over TCP', () => {
    for (const c of CASES) {
      const udp = ask(server, query(c.qname, c.qtype), 'udp')!;
      const tcp = ask(server, query(c.qname, c.qtype), 'tcp')!;
      expect(tcp.equals(udp), `${c.qname} ${c.qtype}`).toBe(true);
    }
  });
});
