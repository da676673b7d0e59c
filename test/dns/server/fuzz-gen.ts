/** Mutated and random DNS packets for the fuzz test, from a seeded generator (replayable). */
import * as dnsPacket from 'dns-packet';
import { query } from '../responder/dns-test.js';

/** The seeded generator the fuzz tests replay from. */
export { seededRandom as random } from '../../helpers/seeded-random.mjs';

const NAMES = [
  'example.org',
  'mail.example.org',
  'nx.example.org',
  'MaIl.ExAmPlE.oRg',
  'www.example.org',
  'big.example.org',
  'a.b.wild.example.net',
  'sub.example.org',
  'example.com',
  '10.2.0.192.in-addr.arpa',
];
const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'PTR', 'CNAME', 'ANY', 'AXFR', 'IXFR', 'CAA'];

export function seeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const name of NAMES) {
    for (const type of TYPES) {
      out.push(query(name, type));
      out.push(query(name, type, { edns: 1232, dnssecOk: true, rd: true }));
    }
  }
  // EDNS options (a cookie and padding), as real clients send them.
  out.push(
    dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ name: 'example.org', type: 'MX' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 4096,
          options: [
            { code: 10, data: Buffer.alloc(8, 7) },
            { code: 12, data: Buffer.alloc(20) },
          ],
        } as unknown as dnsPacket.Answer,
      ],
    }),
  );
  return out;
}

/** One mutated or random packet. */
export function mutant(next: () => number, base: readonly Buffer[]): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const seed = Buffer.from(pick(base));
  const at = () => Math.floor(next() * seed.length);
  switch (Math.floor(next() * 10)) {
    case 0: {
      // random bytes of random length
      const junk = Buffer.allocUnsafe(Math.floor(next() * 600));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(next() * 256);
      return junk;
    }
    case 1: // cut anywhere, the header included
      return seed.subarray(0, Math.floor(next() * seed.length));
    case 2: // flip bits
      for (let i = 0; i < 1 + next() * 4; i++) {
        const j = at();
        seed[j] = seed[j]! ^ (1 << Math.floor(next() * 8));
      }
      return seed;
    case 3: // random octets
      for (let i = 0; i < 1 + next() * 6; i++) seed[at()] = Math.floor(next() * 256);
      return seed;
    case 4: // huge or wrong counts
      seed.writeUInt16BE(pick([0, 1, 2, 255, 0xffff]), 4 + 2 * Math.floor(next() * 4));
      return seed;
    case 5: {
      // a compression pointer to itself or forward, in the question or an appended record
      const loop = Buffer.from([0xc0, 12 + Math.floor(next() * 40)]);
      if (next() < 0.5) return Buffer.concat([seed.subarray(0, 12), loop, Buffer.from([0, 1, 0, 1])]);
      const withRecord = Buffer.concat([seed, loop, Buffer.from([0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])]);
      withRecord.writeUInt16BE(withRecord.readUInt16BE(10) + 1, 10);
      return withRecord;
    }
    case 6: {
      // a label loop: a chain of labels ending in a pointer back into the chain
      const labels = Buffer.concat([Buffer.from([3, 0x61, 0x62, 0x63, 3, 0x64, 0x65, 0x66]), Buffer.from([0xc0, 12])]);
      return Buffer.concat([seed.subarray(0, 12), labels, Buffer.from([0, 1, 0, 1])]);
    }
    case 7: {
      // bad EDNS: odd versions, payloads, option lengths, several OPTs
      const opt = Buffer.from([0, 0, 41, 0, 0, 0, 0, 0, 0, 0, 0]);
      opt.writeUInt16BE(pick([0, 1, 511, 512, 1232, 65535]), 3);
      opt[6] = pick([0, 0, 1, 255]);
      opt[7] = pick([0, 0x80]);
      const option = pick([
        Buffer.alloc(0),
        Buffer.from([0, 10, 0, 8, 1, 2, 3]),
        Buffer.from([0, 12, 0xff, 0xff]),
        Buffer.from([0, 8, 0, 0]),
      ]);
      opt.writeUInt16BE(option.length, 9);
      const copies = pick([1, 1, 1, 2]);
      const out = Buffer.concat([
        seed.subarray(0, Math.max(12, seed.length - (seed.readUInt16BE(10) ? 11 : 0))),
        ...Array(copies).fill(Buffer.concat([opt, option])),
      ]);
      out.writeUInt16BE(copies, 10);
      return out;
    }
    case 8: // a long name of long labels
      return Buffer.concat([
        seed.subarray(0, 12),
        ...Array.from({ length: 1 + next() * 6 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x41)])),
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
    default: // random header flags and opcode over a valid question
      seed.writeUInt16BE(Math.floor(next() * 0x10000) & 0x7fff, 2);
      return seed;
  }
}
