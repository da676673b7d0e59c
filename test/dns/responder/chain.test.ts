/**
 * The header, EDNS and size rules every reply follows, and what malformed queries get, through
 * the whole chain with dns-packet as the independent codec.
 */
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../../src/dns/responder/chain.js';
import { ask, decode, opt, query, responder, type QueryOptions } from './dns-test.js';

const server = responder();

function reply(name: string, type: string | number, options: QueryOptions = {}, transport: 'udp' | 'tcp' = 'udp') {
  const bytes = ask(server, typed(query(name, typeof type === 'string' ? type : 'A', options), type), transport)!;
  return { bytes, packet: decode(bytes) };
}

/** Sets QTYPE to a number, for types dns-packet has no name for. */
function typed(message: Buffer, type: string | number): Buffer {
  // The question name is the first zero octet's labels: letters only, so its root is that zero.
  if (typeof type === 'number') message.writeUInt16BE(type, message.indexOf(0, 12) + 1);
  return message;
}

describe('header (RFC 1035 §4.1.1)', () => {
  it('echoes the ID, sets QR and AA, copies RD, clears RA', () => {
    for (const rd of [true, false]) {
      const { packet } = reply('example.org', 'MX', { id: 4242, rd });
      expect(packet.id).toBe(4242);
      expect(packet.type).toBe('response');
      expect(packet.flag_aa).toBe(true);
      expect(packet.flag_rd).toBe(rd);
      expect(packet.flag_ra).toBe(false);
      expect(packet.flag_ad).toBe(false);
      expect(packet.flag_tc).toBe(false);
    }
  });

  it('copies CD (RFC 4035 §3.2.2)', () => {
    expect(reply('example.org', 'MX', { cd: true }).packet.flag_cd).toBe(true);
    expect(reply('example.org', 'MX', { cd: false }).packet.flag_cd).toBe(false);
  });

  it('echoes the question with its letter case, and owners that point at it keep that case (0x20)', () => {
    const { packet } = reply('ExAmPlE.oRg', 'MX');
    expect(packet.questions).toEqual([{ name: 'ExAmPlE.oRg', type: 'MX', class: 'IN' }]);
    expect(packet.answers?.map((a) => a.name)).toEqual(['ExAmPlE.oRg', 'ExAmPlE.oRg']);
  });

  it('finds names and zones whatever their case (RFC 4343)', () => {
    expect(reply('MAIL.EXAMPLE.ORG', 'A').packet.answers).toHaveLength(1);
    expect(reply('NX.Example.Org', 'A').packet.rcode).toBe('NXDOMAIN');
    expect(reply('WWW.Child.EXAMPLE.org', 'A').packet.answers).toHaveLength(1);
  });
});

describe('EDNS(0) (RFC 6891)', () => {
  it('adds no OPT when the query had none', () => {
    expect(opt(reply('example.org', 'MX').packet)).toBeUndefined();
  });

  it('adds an OPT with our payload size, version 0, when the query had one', () => {
    const o = opt(reply('example.org', 'MX', { edns: 4096 }).packet);
    expect(o).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0, extendedRcode: 0 });
    expect(o!.flags! & dnsPacket.DNSSEC_OK).toBe(0);
  });

  it('copies the DO bit (RFC 3225 §3)', () => {
    expect(opt(reply('example.org', 'MX', { edns: 1232, dnssecOk: true }).packet)!.flags! & dnsPacket.DNSSEC_OK).toBe(
      dnsPacket.DNSSEC_OK,
    );
  });

  it('answers an unknown version with BADVERS, version 0, and no records (§6.1.3)', () => {
    const { bytes, packet } = reply('example.org', 'MX', { edns: 1232, ednsVersion: 1 });
    const o = opt(packet)!;
    // BADVERS is 16: 1 in the OPT's extended-RCODE octet, 0 in the header's four bits.
    expect((o.extendedRcode! << 4) | (bytes[3]! & 0x0f)).toBe(16);
    expect(o.ednsVersion).toBe(0);
    expect(packet.answers).toEqual([]);
    expect(packet.questions).toHaveLength(1);
  });

  it('adds the OPT to negative answers and refusals too', () => {
    expect(opt(reply('nx.example.org', 'A', { edns: 1232 }).packet)).toBeDefined();
    expect(opt(reply('example.com', 'A', { edns: 1232 }).packet)).toBeDefined();
  });
});

describe('message size and truncation', () => {
  // many.example.org A: 652 octets; big.example.org TXT: over 1232; shed.example.org MX fits 512 without its additional data.
  const rows: readonly {
    name: string;
    type: string;
    options: QueryOptions;
    limit: number;
    tc: boolean;
    answers: number;
  }[] = [
    { name: 'many.example.org', type: 'A', options: {}, limit: 512, tc: true, answers: 0 },
    { name: 'many.example.org', type: 'A', options: { edns: 512 }, limit: 512, tc: true, answers: 0 },
    { name: 'many.example.org', type: 'A', options: { edns: 100 }, limit: 512, tc: true, answers: 0 },
    { name: 'many.example.org', type: 'A', options: { edns: 1232 }, limit: 1232, tc: false, answers: 40 },
    { name: 'many.example.org', type: 'A', options: { edns: 4096 }, limit: 1232, tc: false, answers: 40 },
    { name: 'big.example.org', type: 'TXT', options: { edns: 4096 }, limit: 1232, tc: true, answers: 0 },
    { name: 'big.example.org', type: 'TXT', options: {}, limit: 512, tc: true, answers: 0 },
  ];
  it.each(rows)('$name $type $options over UDP: at most $limit octets, TC=$tc', (row) => {
    const { bytes, packet } = reply(row.name, row.type, row.options);
    expect(bytes.length).toBeLessThanOrEqual(row.limit);
    expect(packet.flag_tc).toBe(row.tc);
    expect(packet.answers).toHaveLength(row.answers);
    expect(packet.questions).toHaveLength(1);
    expect(packet.flag_aa).toBe(true);
  });

  it('honours a larger payload when the server allows it', () => {
    const roomy = responder(undefined, { maxUdpPayload: 4096 });
    const bytes = ask(roomy, query('big.example.org', 'TXT', { edns: 4096 }))!;
    expect(bytes.length).toBeGreaterThan(1232);
    expect(decode(bytes).flag_tc).toBe(false);
    expect(opt(decode(bytes))!.udpPayloadSize).toBe(4096);
    expect(ask(roomy, query('big.example.org', 'TXT', { edns: 1400 }))!.length).toBeLessThanOrEqual(1400);
  });

  it('gives the whole answer over TCP', () => {
    expect(reply('many.example.org', 'A', {}, 'tcp').packet.answers).toHaveLength(40);
    const big = reply('big.example.org', 'TXT', {}, 'tcp').packet;
    expect(big.flag_tc).toBe(false);
    expect(((big.answers![0] as dnsPacket.TxtAnswer).data as Buffer[]).map(String)).toEqual(
      Array.from({ length: 6 }, (_, i) => String(i).repeat(250)),
    );
  });

  it('sheds whole additional RRsets without TC before truncating (RFC 2181 §9)', () => {
    const { bytes, packet } = reply('shed.example.org', 'MX');
    const full = reply('shed.example.org', 'MX', {}, 'tcp').packet;
    expect(full.additionals).toHaveLength(16);
    expect(bytes.length).toBeLessThanOrEqual(512);
    expect(packet.flag_tc).toBe(false);
    expect(packet.answers).toHaveLength(8);
    const kept = packet.additionals!;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(16);
    // A prefix of the full additional section: whole RRsets, in order.
    expect(kept).toEqual(full.additionals!.slice(0, kept.length));
  });
});

describe('questions the authority does not take', () => {
  const rows: readonly {
    why: string;
    name: string;
    type: string | number;
    options?: QueryOptions;
    transport?: 'udp' | 'tcp';
    rcode: string;
    answers?: number;
  }[] = [
    { why: 'a class other than IN', name: 'example.org', type: 'A', options: { klass: 'CH' }, rcode: 'REFUSED' },
    { why: 'OPT as a question (RFC 6891 §6.1.1)', name: 'example.org', type: 'OPT', rcode: 'FORMERR' },
    { why: 'MAILB (RFC 1035 §3.2.3)', name: 'example.org', type: 253, rcode: 'NOTIMP' },
    { why: 'AXFR over UDP (RFC 5936 §4.2)', name: 'example.org', type: 'AXFR', rcode: 'NOTIMP' },
    {
      why: 'IXFR over UDP: the SOA alone (RFC 1995 §2)',
      name: 'example.org',
      type: 'IXFR',
      rcode: 'NOERROR',
      answers: 1,
    },
    {
      why: 'AXFR below an apex (RFC 5936 §2.2.1)',
      name: 'mail.example.org',
      type: 'AXFR',
      transport: 'tcp',
      rcode: 'NOTAUTH',
    },
    { why: 'AXFR of a zone we do not serve', name: 'example.com', type: 'AXFR', transport: 'tcp', rcode: 'REFUSED' },
  ];
  it.each(rows)('$why: $rcode', (row) => {
    const { packet } = reply(row.name, row.type, row.options, row.transport);
    expect(packet.rcode).toBe(row.rcode);
    expect(packet.answers).toHaveLength(row.answers ?? 0);
  });
});

/** A query header: id 0xBEEF, the given flags and counts. */
function header(flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}
const QUESTION = query('example.org', 'A').subarray(12);
const OPT_RR = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
const label = (n: number, c = 'a') => Buffer.concat([Buffer.from([n]), Buffer.alloc(n, c)]);

describe('malformed queries', () => {
  const rows: readonly { why: string; bytes: Buffer; expect: string; question?: boolean }[] = [
    { why: 'shorter than a header', bytes: Buffer.from([0xbe, 0xef, 0, 0, 0]), expect: 'drop' },
    { why: 'empty', bytes: Buffer.alloc(0), expect: 'drop' },
    { why: 'a response (QR set)', bytes: Buffer.concat([header(0x8000, 1), QUESTION]), expect: 'drop' },
    { why: 'no question (RFC 9619)', bytes: header(0, 0), expect: 'FORMERR', question: false },
    {
      why: 'two questions (RFC 9619)',
      bytes: Buffer.concat([header(0, 2), QUESTION, QUESTION]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'a question cut short',
      bytes: Buffer.concat([header(0, 1), QUESTION.subarray(0, 7)]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'no QTYPE/QCLASS',
      bytes: Buffer.concat([header(0, 1), QUESTION.subarray(0, QUESTION.length - 4)]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'a pointer in the question',
      bytes: Buffer.concat([header(0, 1), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'an extended label type',
      bytes: Buffer.concat([header(0, 1), Buffer.from([0x41, 0, 0, 1, 0, 1])]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'a name of 256 octets',
      bytes: Buffer.concat([header(0, 1), label(63), label(63), label(63), label(63), Buffer.from([0, 0, 1, 0, 1])]),
      expect: 'FORMERR',
      question: false,
    },
    {
      why: 'a name of 255 octets is fine',
      bytes: Buffer.concat([header(0, 1), label(63), label(63), label(63), label(61), Buffer.from([0, 0, 1, 0, 1])]),
      expect: 'REFUSED',
      question: true,
    },
    {
      why: 'trailing octets',
      bytes: Buffer.concat([header(0, 1), QUESTION, Buffer.from([1, 2, 3])]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'more additional records than sent',
      bytes: Buffer.concat([header(0, 1, 0, 0, 65535), QUESTION, OPT_RR]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'a huge answer count',
      bytes: Buffer.concat([header(0, 1, 65535), QUESTION]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'two OPT records (RFC 6891 §6.1.1)',
      bytes: Buffer.concat([header(0, 1, 0, 0, 2), QUESTION, OPT_RR, OPT_RR]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'an OPT in the answer section',
      bytes: Buffer.concat([header(0, 1, 1), QUESTION, OPT_RR]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'an OPT not owned by the root',
      bytes: Buffer.concat([header(0, 1, 0, 0, 1), QUESTION, Buffer.from([1, 0x61, 0]), OPT_RR.subarray(1)]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'an EDNS option longer than the RDATA',
      bytes: Buffer.concat([
        header(0, 1, 0, 0, 1),
        QUESTION,
        Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9]),
      ]),
      expect: 'FORMERR',
      question: true,
    },
    {
      why: 'a record with a pointer loop is skipped, not followed',
      bytes: Buffer.concat([header(0, 1, 0, 0, 1), QUESTION, Buffer.from([0xc0, 29, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0])]),
      expect: 'NOERROR',
      question: true,
    },
    {
      why: 'an opcode other than QUERY (NOTIFY)',
      bytes: Buffer.concat([header(4 << 11, 1), QUESTION]),
      expect: 'NOTIMP',
      question: false,
    },
    { why: 'UPDATE', bytes: Buffer.concat([header(5 << 11, 1), QUESTION]), expect: 'NOTIMP', question: false },
  ];

  it.each(rows)('$why: $expect', (row) => {
    const out = ask(server, row.bytes);
    if (row.expect === 'drop') return expect(out).toBeUndefined();
    const packet = decode(out!);
    expect(packet.id).toBe(0xbeef);
    expect(packet.type).toBe('response');
    expect(packet.rcode).toBe(row.expect);
    expect(packet.questions ?? []).toHaveLength(row.question ? 1 : 0);
    // A FORMERR never carries an OPT: the OPT may be what was wrong.
    if (row.expect === 'FORMERR') expect(opt(packet)).toBeUndefined();
  });

  it('keeps the opcode in a NOTIMP reply', () => {
    expect(decode(ask(server, Buffer.concat([header(4 << 11, 1), QUESTION]))!).opcode).toBe('NOTIFY');
  });
});

describe('names with unusual octets', () => {
  it('answers a wildcard for a label holding a dot or a high octet, its owner pointing at the question', () => {
    // \xf7ild and "a.b" as single labels under *.wild.example.net (found by the fuzz test).
    for (const first of [Buffer.from('\xf7ild', 'latin1'), Buffer.from('a.b')]) {
      const name = Buffer.concat([
        Buffer.from([first.length]),
        first,
        Buffer.from('\x04wild\x07example\x03net\x00', 'latin1'),
      ]);
      const message = Buffer.concat([query('x', 'A').subarray(0, 12), name, Buffer.from([0, 16, 0, 1])]);
      const bytes = ask(server, message)!;
      const packet = decode(bytes);
      expect(packet.rcode).toBe('NOERROR');
      expect(packet.answers).toHaveLength(1);
      // The owner is a pointer to the question (offset 12), so it is the client's own name.
      expect(bytes.subarray(12 + name.length + 4, 12 + name.length + 6)).toEqual(Buffer.from([0xc0, 0x0c]));
    }
  });

  it('does not mistake a label holding a dot for two labels', () => {
    const name = Buffer.from('\x0cmail.example\x03org\x00', 'latin1');
    const message = Buffer.concat([query('x', 'A').subarray(0, 12), name, Buffer.from([0, 1, 0, 1])]);
    expect(decode(ask(server, message)!).rcode).toBe('REFUSED');
  });
});

describe('IXFR over TCP (RFC 1995 §2, §4): the zone is at serial 1', () => {
  /** An IXFR query; its authority section holds the client's SOA, at `serial`, when given. */
  const ixfr = (serial: number | undefined): Buffer =>
    dnsPacket.encode({
      type: 'query',
      id: 7,
      questions: [{ name: 'example.org', type: 'IXFR' }],
      authorities:
        serial === undefined
          ? []
          : [
              {
                name: 'example.org',
                type: 'SOA',
                ttl: 0,
                data: {
                  mname: 'ns1.example.org',
                  rname: 'hostmaster.example.org',
                  serial,
                  refresh: 0,
                  retry: 0,
                  expire: 0,
                  minimum: 0,
                },
              },
            ],
    });
  const rows: readonly { why: string; serial: number | undefined; gets: 'the SOA alone' | 'the whole zone' }[] = [
    { why: 'the current serial', serial: 1, gets: 'the SOA alone' },
    { why: 'a newer serial', serial: 2, gets: 'the SOA alone' },
    { why: 'a newer serial, 2^31 - 1 ahead (RFC 1982)', serial: 2 ** 31, gets: 'the SOA alone' },
    { why: 'an older serial', serial: 0, gets: 'the whole zone' },
    { why: 'an older serial across the wrap (RFC 1982)', serial: 2 ** 32 - 1, gets: 'the whole zone' },
    { why: 'a serial 2^31 away, neither older nor newer (RFC 1982 §3.2)', serial: 2 ** 31 + 1, gets: 'the whole zone' },
    { why: 'no SOA in the authority section', serial: undefined, gets: 'the whole zone' },
  ];
  it.each(rows)('$why: $gets', ({ serial, gets }) => {
    const outcome = server.respond(ixfr(serial), 'tcp');
    if (gets === 'the whole zone') return expect(outcome).toBe(Outcome.TRANSFER);
    expect(outcome).toBe(Outcome.REPLY);
    const packet = decode(ask(server, ixfr(serial), 'tcp')!);
    expect(packet.rcode).toBe('NOERROR');
    expect(packet.flag_aa).toBe(true);
    expect(packet.answers!.map((a) => [a.type, (a as dnsPacket.SoaAnswer).data.serial])).toEqual([['SOA', 1]]);
  });

  it('answers an SOA whose RDATA stops before the serial with FORMERR', () => {
    const question = ixfr(undefined).subarray(12);
    const soa = Buffer.from([0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0]); // MNAME and RNAME the root, no more
    const bytes = ask(server, Buffer.concat([header(0, 1, 0, 1), question, soa]), 'tcp')!;
    expect(decode(bytes).rcode).toBe('FORMERR');
  });
});

describe('faults injected for the sandbox', () => {
  it('drops or SERVFAILs chosen questions and leaves the rest alone', () => {
    const faulty = responder();
    faulty.fault = ({ name, type }) => (name === 'mail.example.org' ? (type === 'A' ? 'drop' : 'servfail') : undefined);
    expect(ask(faulty, query('MAIL.example.org', 'A'))).toBeUndefined();
    expect(decode(ask(faulty, query('mail.example.org', 'AAAA'))!).rcode).toBe('SERVFAIL');
    expect(decode(ask(faulty, query('example.org', 'MX'))!).rcode).toBe('NOERROR');
  });
});
