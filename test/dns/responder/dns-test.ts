/**
 * Test kit for the responder, in CoreDNS's style: zones and expected answers written as zone
 * text, queries built and replies read by dns-packet (a codec we did not write), and the
 * responder driven directly without sockets.
 */
import * as dnsPacket from 'dns-packet';
import { recordLine } from '../../../src/dns/presentation.js';
import type { ResourceRecord, Zone } from '../../../src/dns/records.js';
import { Outcome, Responder, type Transport } from '../../../src/dns/responder/chain.js';
import { transferMessages } from '../../../src/dns/axfr.js';

/** One zone-text line, absolute names: `example.org. 3600 IN MX 10 mail.example.org.` */
export function rr(line: string): ResourceRecord {
  const [owner = '', ttl = '', klass, type, ...data] = tokens(line);
  if (klass !== 'IN') throw new Error(`rr: class IN expected in ${line}`);
  const name = bare(owner);
  const base = { name, ttl: Number(ttl) };
  switch (type) {
    case 'SOA': {
      const [mname = '', rname = '', ...timers] = data;
      const [serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0] = timers.map(Number);
      return {
        ...base,
        type,
        data: { mname: bare(mname), rname: bare(rname), serial, refresh, retry, expire, minimum },
      };
    }
    case 'MX':
      return { ...base, type, data: { preference: Number(data[0]), exchange: bare(data[1] ?? '') } };
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return { ...base, type, data: bare(data[0] ?? '') };
    case 'A':
    case 'AAAA':
      return { ...base, type, data: data[0] ?? '' };
    case 'TXT':
      return { ...base, type, data };
    default:
      throw new Error(`rr: type ${type} is not in the record model`);
  }
}

function bare(name: string): string {
  return name === '.' ? '' : name.replace(/\.$/, '').toLowerCase();
}

function tokens(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

export function zone(origin: string, lines: readonly string[], kind: Zone['kind'] = 'domain'): Zone {
  return { origin, kind, records: lines.map(rr) };
}

/**
 * The fixture: a mail domain with the cases an authority must get right, a child zone we also
 * serve, a delegation we do not, a zone with wildcards, and a reverse zone.
 */
export const FIXTURE_ZONES: readonly Zone[] = [
  zone('example.org', [
    'example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300',
    'example.org. 3600 IN NS ns1.example.org.',
    'example.org. 3600 IN NS ns2.example.net.',
    'example.org. 3600 IN MX 10 mail.example.org.',
    'example.org. 3600 IN MX 20 backup.example.net.',
    'example.org. 3600 IN TXT "v=spf1 mx -all"',
    '_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=reject"',
    'alias.example.org. 3600 IN CNAME www.example.org.',
    'away.example.org. 3600 IN CNAME elsewhere.example.com.',
    'child.example.org. 3600 IN NS ns1.example.org.',
    'dangling.example.org. 3600 IN CNAME missing.example.org.',
    'host.deep.example.org. 3600 IN A 192.0.2.20',
    'loop1.example.org. 3600 IN CNAME loop2.example.org.',
    'loop2.example.org. 3600 IN CNAME loop1.example.org.',
    'mail.example.org. 3600 IN A 192.0.2.10',
    'mail.example.org. 3600 IN AAAA 2001:db8::10',
    'ns1.example.org. 3600 IN A 192.0.2.53',
    'null.example.org. 3600 IN MX 0 .',
    'sub.example.org. 3600 IN NS ns.sub.example.org.',
    'ns.sub.example.org. 3600 IN A 192.0.2.54',
    'www.example.org. 3600 IN CNAME mail.example.org.',
    // 40 addresses: 652 octets of answer, more than 512, less than 1232.
    ...Array.from({ length: 40 }, (_, i) => `many.example.org. 3600 IN A 192.0.2.${100 + i}`),
    // Six strings of 250 octets: more than 1232 octets in any reply.
    `big.example.org. 3600 IN TXT ${Array.from({ length: 6 }, (_, i) => `"${String(i).repeat(250)}"`).join(' ')}`,
    // An MX answer that fits 512 only without its additional data.
    ...Array.from({ length: 8 }, (_, i) => `shed.example.org. 3600 IN MX ${i} mx${i}.example.org.`),
    ...Array.from({ length: 8 }, (_, i) => [
      `mx${i}.example.org. 3600 IN A 192.0.2.${200 + i}`,
      `mx${i}.example.org. 3600 IN AAAA 2001:db8::${200 + i}`,
    ]).flat(),
  ]),
  zone('child.example.org', [
    'child.example.org. 600 IN SOA ns1.example.org. hostmaster.example.org. 7 7200 1800 1209600 60',
    'child.example.org. 600 IN NS ns1.example.org.',
    'www.child.example.org. 600 IN A 192.0.2.30',
  ]),
  zone('example.net', [
    'example.net. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300',
    'example.net. 3600 IN NS ns1.example.org.',
    'backup.example.net. 3600 IN A 198.51.100.25',
    'ns2.example.net. 3600 IN A 198.51.100.53',
    '*.wild.example.net. 3600 IN TXT "wildcard"',
    '*.wild.example.net. 3600 IN MX 10 backup.example.net.',
  ]),
  zone(
    '2.0.192.in-addr.arpa',
    [
      '2.0.192.in-addr.arpa. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 1800 1209600 300',
      '2.0.192.in-addr.arpa. 3600 IN NS ns1.example.org.',
      '10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.org.',
    ],
    'reverse',
  ),
];

export interface QueryOptions {
  readonly id?: number;
  readonly rd?: boolean;
  readonly cd?: boolean;
  /** Adds an OPT record with this payload size. */
  readonly edns?: number;
  readonly dnssecOk?: boolean;
  readonly ednsVersion?: number;
  readonly klass?: dnsPacket.RecordClass;
}

export function query(name: string, type: string, options: QueryOptions = {}): Buffer {
  const flags = (options.rd ? dnsPacket.RECURSION_DESIRED : 0) | (options.cd ? dnsPacket.CHECKING_DISABLED : 0);
  return dnsPacket.encode({
    type: 'query',
    id: options.id ?? 0x1234,
    flags,
    questions: [{ name, type: type as dnsPacket.RecordType, class: options.klass ?? 'IN' }],
    additionals:
      options.edns === undefined
        ? []
        : [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: options.edns,
              flags: options.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
              ednsVersion: options.ednsVersion ?? 0,
              options: [],
            } as unknown as dnsPacket.Answer,
          ],
  });
}

/** The reply bytes the server would send, or undefined when it would send nothing. */
export function ask(responder: Responder, message: Buffer, transport: Transport = 'udp'): Buffer | undefined {
  const outcome = responder.respond(Buffer.from(message), transport);
  const x = responder.exchange;
  if (outcome === Outcome.DROP) return undefined;
  if (outcome === Outcome.TRANSFER) {
    return Buffer.concat(
      transferMessages(x.transferZone!.zone, x.query, x.query.edns ? responder.optFor(0, x.query.dnssecOk) : undefined),
    );
  }
  return Buffer.concat(x.opt ? [x.head, x.tail, x.opt] : [x.head, x.tail]);
}

/** A decoded message; dns-packet decodes the RCODE and opcode mnemonics its types leave out. */
export type Decoded = dnsPacket.DecodedPacket & { readonly rcode: string; readonly opcode: string };

export function decode(reply: Buffer): Decoded {
  return dnsPacket.decode(reply) as Decoded;
}

/** A decoded record as one zone-text line (names as the packet spells them). */
export function line(packetAnswer: dnsPacket.Answer): string {
  // dns-packet spells the root "."; the record model spells it "".
  const root = (name: string): string => (name === '.' ? '' : name);
  const answer = { ...packetAnswer, name: root(packetAnswer.name) };
  if (answer.type === 'MX') answer.data = { ...answer.data, exchange: root(answer.data.exchange) };
  switch (answer.type) {
    case 'TXT': {
      const data = (Array.isArray(answer.data) ? answer.data : [answer.data]).map((d) => d.toString());
      return recordLine({ name: answer.name, type: 'TXT', ttl: answer.ttl ?? 0, data });
    }
    case 'SOA':
    case 'MX':
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'A':
    case 'AAAA':
      return recordLine({
        name: answer.name,
        type: answer.type,
        ttl: answer.ttl ?? 0,
        data: answer.data,
      } as ResourceRecord);
    default:
      return `${answer.name}. ${answer.type}`;
  }
}

/** The sections of a reply as zone text, OPT left out. */
export function sections(packet: Decoded): { answer: string[]; authority: string[]; additional: string[] } {
  return {
    answer: (packet.answers ?? []).map(line),
    authority: (packet.authorities ?? []).map(line),
    additional: (packet.additionals ?? []).filter((a) => a.type !== 'OPT').map(line),
  };
}

export function opt(
  packet: Decoded,
):
  | (dnsPacket.Answer & { udpPayloadSize?: number; extendedRcode?: number; ednsVersion?: number; flags?: number })
  | undefined {
  return (packet.additionals ?? []).find((a) => a.type === 'OPT');
}

export function responder(zones: readonly Zone[] = FIXTURE_ZONES, options: { maxUdpPayload?: number } = {}): Responder {
  return new Responder(zones, options);
}
