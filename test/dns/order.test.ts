import { describe, expect, it } from 'vitest';
import { compareNames, sortRecords } from '../../src/dns/order.js';
import { recordLine } from '../../src/dns/presentation.js';
import type { ResourceRecord } from '../../src/dns/records.js';

describe('canonical name order (RFC 4034 §6.1)', () => {
  it('sorts the RFC example (lowercased, without escapes) as the RFC lists it', () => {
    const expected = [
      'example',
      'a.example',
      'yljkjljk.a.example',
      'z.a.example',
      'zabc.a.example',
      'z.example',
      '*.z.example',
    ];
    const shuffled = [...expected].reverse();
    expect(shuffled.sort(compareNames)).toEqual(expected);
  });

  it.each([
    ['a.x', 'a-b.x'], // a label sorts before a longer label it prefixes, descendants included
    ['a.x', 'b.a.x'],
    ['b.a.x', 'a-b.x'],
    ['10.2.0.192.in-addr.arpa', '9.2.0.192.in-addr.arpa'], // octets, not numbers
    ['_dmarc.acme.example', 'mail.acme.example'],
  ])('%s < %s', (a, b) => {
    expect(compareNames(a, b)).toBeLessThan(0);
    expect(compareNames(b, a)).toBeGreaterThan(0);
  });
});

describe('sortRecords', () => {
  const soa: ResourceRecord = {
    name: 'acme.example',
    type: 'SOA',
    ttl: 3600,
    data: {
      mname: 'ns1.infra.example',
      rname: 'hostmaster.infra.example',
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 1209600,
      minimum: 300,
    },
  };
  const ordered: ResourceRecord[] = [
    soa,
    { name: 'acme.example', type: 'NS', ttl: 3600, data: 'ns1.infra.example' },
    { name: 'acme.example', type: 'NS', ttl: 3600, data: 'ns2.infra.example' },
    { name: 'acme.example', type: 'MX', ttl: 3600, data: { preference: 5, exchange: 'z.infra.example' } },
    { name: 'acme.example', type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'a.infra.example' } },
    { name: 'acme.example', type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'b.infra.example' } },
    { name: 'acme.example', type: 'TXT', ttl: 3600, data: ['v=spf1 -all'] },
    { name: '_dmarc.acme.example', type: 'TXT', ttl: 3600, data: ['v=DMARC1; p=reject'] },
    { name: 'mail.acme.example', type: 'A', ttl: 3600, data: '192.0.2.9' },
    { name: 'mail.acme.example', type: 'A', ttl: 3600, data: '192.0.2.10' },
    { name: 'mail.acme.example', type: 'AAAA', ttl: 3600, data: '2001:db8::9' },
    { name: 'mail.acme.example', type: 'AAAA', ttl: 3600, data: '2001:db8::10' },
    { name: 'mail.acme.example', type: 'TXT', ttl: 3600, data: ['v=spf1 a -all'] },
  ];

  it('orders SOA, NS, then owners canonically; MX by preference; addresses numerically', () => {
    const scrambled = [...ordered].reverse();
    scrambled.push(scrambled.shift()!);
    expect(sortRecords(scrambled).map(recordLine)).toEqual(ordered.map(recordLine));
  });
});
