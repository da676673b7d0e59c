/**
 * A small DNS client for asking an authoritative server what it serves: one query over UDP
 * (again over TCP when the answer is truncated, RFC 7766 §5), or a zone transfer over TCP
 * (AXFR, RFC 5936). It never recurses and asks only the server it is given.
 *
 * Answers come back in the record model (records.ts): names lowercase without the trailing dot
 * (RFC 4343: names compare without case), the root as "", TXT data as the text of each
 * character-string. Types outside the model keep their RDATA in RFC 3597's generic form.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import net from 'node:net';
import dnsPacket, { type Answer, type Packet as BasePacket } from 'dns-packet';
import { canonicalIP, familyOf } from '../topology/ip.js';
import type { RecordType, ServedRecord } from './records.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface Reply {
  readonly rcode: string;
  /** The AA bit (RFC 1035 §4.1.1): the server answers from a zone it is authoritative for. */
  readonly authoritative: boolean;
  readonly answers: readonly ServedRecord[];
}

export interface ClientOptions {
  /** Milliseconds to wait for each reply; default 2000. */
  readonly timeout?: number;
  /** UDP tries before giving up; default 2. */
  readonly tries?: number;
}

/** dns-packet decodes the rcode too; its types leave it out. */
type Packet = BasePacket & { readonly rcode?: string };

/** A failure to get any answer (timeout, connection refused): the server is not serving. */
export class NoAnswerError extends Error {}

/** Asks one question, without recursion; UDP first, TCP when the reply is truncated. */
export async function query(
  server: Endpoint,
  name: string,
  type: RecordType,
  options: ClientOptions = {},
): Promise<Reply> {
  const message = encodeQuery(name, type);
  const tries = options.tries ?? 2;
  let reply: Packet | undefined;
  for (let i = 0; i < tries && !reply; i++) {
    reply = await udpExchange(server, message, options.timeout ?? 2000).catch((error: unknown) => {
      if (i === tries - 1) throw error;
      return undefined;
    });
  }
  if (reply!.flags !== undefined && (reply!.flags & dnsPacket.TRUNCATED_RESPONSE) !== 0) {
    [reply] = await tcpExchange(server, message, options.timeout ?? 2000, () => true);
  }
  return toReply(reply!);
}

/**
 * The records of a zone by AXFR (RFC 5936): every record from the first SOA to the closing one,
 * the closing SOA left out. A refusal comes back as a reply with no records and its rcode.
 */
export async function transfer(server: Endpoint, zone: string, options: ClientOptions = {}): Promise<Reply> {
  const message = encodeQuery(zone, 'AXFR');
  let soas = 0;
  const replies = await tcpExchange(server, message, options.timeout ?? 5000, (packet) => {
    if (packet.rcode !== 'NOERROR') return true;
    for (const answer of packet.answers ?? []) if (answer.type === 'SOA') soas++;
    return soas >= 2 || (packet.answers ?? []).length === 0;
  });
  const first = replies[0]!;
  if (first.rcode !== 'NOERROR' || soas < 2)
    return { rcode: first.rcode ?? 'NOERROR', authoritative: false, answers: [] };
  const answers = replies.flatMap((r) => (r.answers ?? []).map(toRecord));
  // RFC 5936 §2.2: the transfer ends with the SOA it began with.
  return { rcode: 'NOERROR', authoritative: true, answers: answers.slice(0, -1) };
}

function encodeQuery(name: string, type: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: randomInt(0, 0x10000),
    flags: 0, // RD clear: an authoritative server is asked for its own data only
    questions: [{ name, type: type as 'A', class: 'IN' }],
  });
}

function udpExchange(server: Endpoint, message: Buffer, timeout: number): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(familyOf(server.address) === 6 ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    const done = (error: Error | undefined, packet?: Packet) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(packet!);
    };
    const timer = setTimeout(() => done(new NoAnswerError(`no answer over UDP within ${timeout} ms`)), timeout);
    socket.on('message', (reply) => {
      let packet: Packet;
      try {
        packet = dnsPacket.decode(reply);
      } catch {
        return; // not a DNS message: keep waiting for the real reply
      }
      if (packet.id === id) done(undefined, packet);
    });
    socket.on('error', (error) => done(new NoAnswerError(error.message)));
    // Connected, so an ICMP port unreachable ends the wait at once (ECONNREFUSED) instead of a timeout.
    socket.connect(server.port, server.address, () => socket.send(message));
  });
}

/** Sends one message over TCP and reads replies until `last` says the exchange is over. */
function tcpExchange(
  server: Endpoint,
  message: Buffer,
  timeout: number,
  last: (packet: Packet) => boolean,
): Promise<Packet[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.address, port: server.port });
    const packets: Packet[] = [];
    let buffered = Buffer.alloc(0);
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(packets);
    };
    // Each read restarts the clock: a long transfer is fine while data keeps coming.
    let timer = setTimeout(() => done(new NoAnswerError(`no answer over TCP within ${timeout} ms`)), timeout);
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(message.length); // RFC 1035 §4.2.2: a two-octet length before each message
      socket.write(Buffer.concat([prefix, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(() => done(new NoAnswerError(`the TCP answer stalled for ${timeout} ms`)), timeout);
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const size = buffered.readUInt16BE(0);
        let packet: Packet;
        try {
          packet = dnsPacket.decode(buffered.subarray(2, 2 + size));
        } catch (error) {
          return done(new NoAnswerError(`an undecodable message over TCP (${(error as Error).message})`));
        }
        buffered = buffered.subarray(2 + size);
        packets.push(packet);
        if (last(packet)) return done();
      }
    });
    socket.on('error', (error) => done(new NoAnswerError(error.message)));
    socket.on('close', () =>
      done(packets.length > 0 ? undefined : new NoAnswerError('the server closed the connection')),
    );
  });
}

function toReply(packet: Packet): Reply {
  return {
    rcode: packet.rcode ?? 'NOERROR',
    authoritative: ((packet.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    answers: (packet.answers ?? []).map(toRecord),
  };
}

function name(text: string): string {
  const lower = text.toLowerCase();
  return lower === '.' ? '' : lower.replace(/\.$/, '');
}

/** A decoded answer in the record model. */
export function toRecord(answer: Answer): ServedRecord {
  const base = { name: name(answer.name), ttl: (answer as { ttl?: number }).ttl ?? 0 };
  switch (answer.type) {
    case 'A':
      return { ...base, type: 'A', data: answer.data };
    case 'AAAA':
      return { ...base, type: 'AAAA', data: canonicalIP(answer.data) };
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return { ...base, type: answer.type, data: name(answer.data) };
    case 'MX':
      return {
        ...base,
        type: 'MX',
        data: { preference: answer.data.preference ?? 0, exchange: name(answer.data.exchange) },
      };
    case 'TXT': {
      const strings = (Array.isArray(answer.data) ? answer.data : [answer.data]).map((s) =>
        typeof s === 'string' ? s : s.toString('utf8'),
      );
      return { ...base, type: 'TXT', data: strings };
    }
    case 'SOA': {
      const d = answer.data;
      return {
        ...base,
        type: 'SOA',
        data: {
          mname: name(d.mname),
          rname: name(d.rname),
          serial: d.serial ?? 0,
          refresh: d.refresh ?? 0,
          retry: d.retry ?? 0,
          expire: d.expire ?? 0,
          minimum: d.minimum ?? 0,
        },
      };
    }
    default: {
      const rdata = genericRdata(answer);
      return { ...base, type: answer.type, data: `\\# ${rdata.length} ${rdata.toString('hex')}`.trimEnd() };
    }
  }
}

/** The RDATA octets of any answer dns-packet decoded (its encoders prefix them with RDLENGTH). */
function genericRdata(answer: Answer): Buffer {
  const data = (answer as { data?: unknown }).data;
  if (Buffer.isBuffer(data)) return data;
  try {
    const codecs = dnsPacket as unknown as { record(type: string): { encode(data: unknown): Buffer } };
    return codecs.record(answer.type).encode(data).subarray(2);
  } catch {
    return Buffer.alloc(0);
  }
}
