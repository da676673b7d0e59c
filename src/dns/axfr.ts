/**
 * Zone transfer out (AXFR, RFC 5936), so `dig axfr` and a BIND secondary can copy a served
 * zone. An IXFR query from a client behind the current serial gets the same full transfer
 * (RFC 1995 §4; no deltas are kept); an up-to-date one gets the SOA alone (chain.ts).
 *
 * The records go in the zone's own order (the zone-file order, see records.ts), framed by
 * the SOA first and last (RFC 5936 §2.2). Messages are filled to about `softLimit` octets,
 * each compressed on its own.
 */
import type { ResourceRecord, Zone } from './records.js';
import type { Query } from './responder/query.js';
import { FLAG2, FLAG3, HEADER_LENGTH, TCP_LIMIT, WireWriter } from './responder/wire.js';

export interface TransferOptions {
  /** A message is closed once it passes this size; BIND uses 16 KiB too. */
  readonly softLimit?: number;
}

/** The records of a transfer, in order: SOA, every other record, SOA. */
export function transferRecords(zone: Zone): ResourceRecord[] {
  const soa = zone.records.find((rr) => rr.type === 'SOA' && rr.name === zone.origin);
  if (!soa) throw new Error(`dns/axfr: zone ${zone.origin} has no SOA at its apex`);
  return [soa, ...zone.records.filter((rr) => rr !== soa), soa];
}

/**
 * The messages answering a transfer query (without the TCP length prefix). The first echoes
 * the question as the client wrote it and carries `opt` when the query had EDNS; the later
 * ones have no question (RFC 5936 §2.2.1).
 */
export function transferMessages(
  zone: Zone,
  query: Query,
  opt: Buffer | undefined,
  options: TransferOptions = {},
): Buffer[] {
  const softLimit = options.softLimit ?? 16_384;
  const msg = query.msg;
  const question = msg.subarray(HEADER_LENGTH, query.questionEnd);
  const qnameLength = query.qnameEnd - HEADER_LENGTH;
  const messages: Buffer[] = [];
  let writer: WireWriter | undefined;
  let count = 0;

  const finish = (): void => {
    if (!writer) return;
    const first = messages.length === 0;
    const out = writer.take();
    if (out.length > TCP_LIMIT) throw new Error(`dns/axfr: a message of ${out.length} octets in zone ${zone.origin}`);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    // RFC 5936 §2.2.1: AA set, RD copied, the rest of the flags clear.
    out[2] = FLAG2.QR | FLAG2.AA | (msg[2]! & FLAG2.RD);
    out[3] = msg[3]! & FLAG3.CD;
    out.writeUInt16BE(first ? 1 : 0, 4);
    out.writeUInt16BE(count, 6);
    out.writeUInt16BE(0, 8);
    out.writeUInt16BE(first && opt ? 1 : 0, 10);
    if (first && opt) {
      messages.push(Buffer.concat([out, opt]));
    } else {
      messages.push(out);
    }
    writer = undefined;
    count = 0;
  };

  for (const rr of transferRecords(zone)) {
    if (!writer) {
      writer = new WireWriter(softLimit + 512);
      writer.skip(HEADER_LENGTH);
      if (messages.length === 0) {
        writer.rawName(question.subarray(0, qnameLength));
        writer.bytes(question.subarray(qnameLength));
      }
    }
    writer.record(rr);
    count++;
    if (writer.pos >= softLimit) finish();
  }
  finish();
  return messages;
}
