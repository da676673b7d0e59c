/**
 * The compressing encoder against dns-packet's decoder, and the pre-encoded answers against the
 * authority they were built from.
 */
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { recordLine } from '../../../src/dns/presentation.js';
import type { ResourceRecord } from '../../../src/dns/records.js';
import { TYPE, WireWriter, hashWireName, ipv6Octets, nameToWire, typeName } from '../../../src/dns/responder/wire.js';
import { ask, decode, line, query, responder, rr, sections } from './dns-test.js';

/** A response packet holding `records` as answers, built by our writer. */
function packetOf(records: readonly ResourceRecord[]): Buffer {
  const w = new WireWriter();
  w.skip(12);
  for (const r of records) w.record(r);
  const out = w.take();
  out.writeUInt16BE(0x8400, 2);
  out.writeUInt16BE(records.length, 6);
  return out;
}

describe('WireWriter', () => {
  const records = [
    'example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2026112801 7200 1800 1209600 300',
    'example.org. 3600 IN NS ns1.example.org.',
    'example.org. 300 IN MX 10 mail.example.org.',
    'null.example.org. 300 IN MX 0 .',
    'example.org. 3600 IN TXT "v=spf1 mx -all"',
    'multi.example.org. 3600 IN TXT "one" "two" ""',
    'mail.example.org. 3600 IN A 192.0.2.10',
    'mail.example.org. 3600 IN AAAA 2001:db8::10',
    'www.example.org. 3600 IN CNAME mail.example.org.',
    '10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.org.',
  ].map(rr);

  it('encodes every record type of the model so dns-packet reads it back', () => {
    const decoded = decode(packetOf(records));
    expect(decoded.answers!.map(line)).toEqual(records.map(recordLine));
  });

  it('compresses names: smaller than dns-packet, which does not', () => {
    const ours = packetOf(records);
    const theirs = dnsPacket.encode({
      type: 'response',
      answers: records.map((r) => ({ ...r, class: 'IN' }) as dnsPacket.Answer),
    });
    expect(ours.length).toBeLessThan(theirs.length * 0.8);
  });

  it('refuses a label over 63 octets and a name over 255', () => {
    expect(() => nameToWire(`${'a'.repeat(64)}.example.org`)).toThrow(/label of 64/);
    expect(() => nameToWire(Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.'))).toThrow(/255/);
    expect(nameToWire('')).toEqual(Buffer.from([0]));
  });

  it('hashes names the same whatever their case', () => {
    expect(hashWireName(Buffer.from('\x07EXAMPLE\x03Org\x00', 'latin1'))).toBe(hashWireName(nameToWire('example.org')));
    expect(hashWireName(nameToWire('example.org'))).not.toBe(hashWireName(nameToWire('example.net')));
  });

  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::10', '20010db8000000000000000000000010'],
    ['2001:DB8:0:0:1:2:3:4', '20010db8000000000001000200030004'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
  ])('reads IPv6 %s', (text, hex) => {
    expect(Buffer.from(ipv6Octets(text)).toString('hex')).toBe(hex);
  });

  it.each(['1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::'])('rejects IPv6 %s', (text) => {
    expect(() => ipv6Octets(text)).toThrow();
  });
});

describe('pre-encoded answers', () => {
  it('say for every served name and type what the authority resolves', () => {
    const server = responder();
    const types = [
      TYPE.A,
      TYPE.AAAA,
      TYPE.MX,
      TYPE.TXT,
      TYPE.NS,
      TYPE.SOA,
      TYPE.PTR,
      TYPE.CNAME,
      TYPE.ANY,
      257 /* CAA */,
    ];
    let checked = 0;
    for (const node of server.index.allNodes()) {
      for (const type of types) {
        const name = node.name;
        const resolution = server.index.resolve(name, type);
        const message = query(name === '' ? '.' : name, 'A');
        message.writeUInt16BE(type, message.length - 4);
        const packet = decode(ask(server, message, 'tcp')!);
        expect(packet.rcode === 'NOERROR' ? 0 : packet.rcode === 'NXDOMAIN' ? 3 : 5, `${name} ${typeName(type)}`).toBe(
          resolution.rcode,
        );
        expect(sections(packet), `${name} ${typeName(type)}`).toEqual({
          answer: resolution.answer.map(recordLine),
          authority: resolution.authority.map(recordLine),
          additional: resolution.additional.flat().map(recordLine),
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});
