/**
 * The dns-packet round trip: a record encoded as an answer and decoded again must equal itself,
 * which proves the responder can serve it exactly as the zone file states it.
 */
import dnsPacket from 'dns-packet';
import type { ResourceRecord } from '../../src/dns/records.js';

/** Encodes the record in a response, decodes it, and returns it in the record model's shape. */
export function roundTrip(record: ResourceRecord): ResourceRecord {
  const encoded = dnsPacket.encode({
    type: 'response',
    id: 1,
    // A copy: dns-packet's TXT encoder replaces strings with Buffers in the array it is given.
    answers: [{ ...record, data: structuredClone(record.data), class: 'IN' } as dnsPacket.Answer],
  });
  const [answer] = dnsPacket.decode(encoded).answers ?? [];
  if (!answer) throw new Error(`no answer decoded for ${record.name} ${record.type}`);
  return fromPacket(answer);
}

function fromPacket(answer: dnsPacket.Answer): ResourceRecord {
  const { name, type } = answer;
  const ttl = (answer as { ttl?: number }).ttl ?? 0;
  const data = (answer as { data: unknown }).data;
  switch (type) {
    case 'TXT':
      return { name, type, ttl, data: (data as (Buffer | string)[]).map((s) => s.toString()) };
    case 'MX': {
      const mx = data as { preference: number; exchange: string };
      // dns-packet decodes the root as "."; the model writes it "" (RFC 7505 null MX).
      return { name, type, ttl, data: { preference: mx.preference, exchange: mx.exchange === '.' ? '' : mx.exchange } };
    }
    case 'SOA':
    case 'NS':
    case 'PTR':
    case 'CNAME':
    case 'A':
    case 'AAAA':
      return { name, type, ttl, data } as ResourceRecord;
    default:
      throw new Error(`unexpected type ${type}`);
  }
}
