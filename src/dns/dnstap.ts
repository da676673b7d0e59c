/**
 * A dnstap reader: what BIND, NSD and Knot say about each query they answer, read the way they
 * send it. Each server writes dnstap (protobuf messages, https://dnstap.info, dnstap.proto) over
 * a Frame Streams connection (the fstrm library's bidirectional protocol) to a UNIX socket;
 * this is the socket's reading end.
 *
 * Frame Streams, as fstrm writes it: every frame starts with a big-endian 32-bit length. A
 * length of zero escapes a control frame: its own 32-bit length, a 32-bit control type, then
 * fields (32-bit type, 32-bit length, bytes). A bidirectional writer (BIND's and Knot's fstrm)
 * says READY with the content types it has, the reader answers ACCEPT with the one it takes,
 * the writer says START, then data frames; STOP is answered with FINISH. NSD's own writer sends
 * data frames without a handshake, so data frames are taken whenever they come.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { canonicalIPv6 } from '../topology/ip.js';
import { clientLabel, type QueryLogEntry } from './responder/query-log.js';
import { rcodeName, typeName } from './responder/wire.js';

const CONTENT_TYPE = 'protobuf:dnstap.Dnstap';
const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
const FIELD_CONTENT_TYPE = 1;
/** Far above any DNS message and its envelope; a longer frame is not dnstap. */
const MAX_FRAME = 1 << 20;

export interface DnstapListener {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens at `path` (a UNIX socket, mode 0666 so a server that dropped its privileges can
 * connect) and hands every response a server reports to `onResponse`. Anything that is not
 * Frame Streams carrying dnstap closes that connection, never the listener.
 */
export async function listenForDnstap(
  path: string,
  onResponse: (response: QueryLogEntry) => void,
): Promise<DnstapListener> {
  await rm(path, { force: true });
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    readFrames(socket, onResponse);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o666);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One writer's stream: the handshake, then its data frames. */
function readFrames(socket: Socket, onResponse: (response: QueryLogEntry) => void): void {
  let buffer: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 4) return;
      const length = buffer.readUInt32BE(0);
      if (length === 0) {
        if (buffer.length < 8) return;
        const controlLength = buffer.readUInt32BE(4);
        if (controlLength < 4 || controlLength > MAX_FRAME) return void socket.destroy();
        if (buffer.length < 8 + controlLength) return;
        const type = buffer.readUInt32BE(8);
        const fields = buffer.subarray(12, 8 + controlLength);
        buffer = buffer.subarray(8 + controlLength);
        if (type === CONTROL.READY) {
          if (!contentTypes(fields).includes(CONTENT_TYPE)) return void socket.destroy();
          socket.write(controlFrame(CONTROL.ACCEPT, CONTENT_TYPE));
        } else if (type === CONTROL.STOP) return void socket.end(controlFrame(CONTROL.FINISH));
        continue;
      }
      if (length > MAX_FRAME) return void socket.destroy();
      if (buffer.length < 4 + length) return;
      const frame = buffer.subarray(4, 4 + length);
      buffer = buffer.subarray(4 + length);
      let response: QueryLogEntry | undefined;
      try {
        response = authResponse(frame);
      } catch {
        // a frame that does not decode is skipped: the next one may
      }
      if (response) onResponse(response);
    }
  });
}

function contentTypes(fields: Buffer): string[] {
  const types: string[] = [];
  for (let pos = 0; pos + 8 <= fields.length;) {
    const type = fields.readUInt32BE(pos);
    const length = fields.readUInt32BE(pos + 4);
    const value = fields.subarray(pos + 8, pos + 8 + length);
    if (type === FIELD_CONTENT_TYPE) types.push(value.toString('latin1'));
    pos += 8 + length;
  }
  return types;
}

function controlFrame(type: number, contentType?: string): Buffer {
  const field = contentType === undefined ? Buffer.alloc(0) : Buffer.from(contentType, 'latin1');
  const body = Buffer.alloc(4 + (contentType === undefined ? 0 : 8 + field.length));
  body.writeUInt32BE(type, 0);
  if (contentType !== undefined) {
    body.writeUInt32BE(FIELD_CONTENT_TYPE, 4);
    body.writeUInt32BE(field.length, 8);
    field.copy(body, 12);
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

// dnstap.proto: Dnstap { message = 14; type = 15 (MESSAGE = 1) }; Message { type = 1
// (AUTH_RESPONSE = 2, CLIENT_RESPONSE = 6), socket_protocol = 3 (UDP = 1, TCP = 2), query_address = 4, query_port = 6,
// query_time_sec = 8, query_time_nsec = 9, query_zone = 11, response_time_sec = 12,
// response_time_nsec = 13, response_message = 14 }.
const AUTH_RESPONSE = 2;
/** What BIND calls a response to a query with RD set, authoritative data or not. */
const CLIENT_RESPONSE = 6;

/** The answered query a dnstap frame reports, as the responder logs its own; undefined for any other kind of message. */
export function authResponse(frame: Uint8Array): QueryLogEntry | undefined {
  const outer = protobufFields(frame);
  const message = outer.get(14)?.[0];
  if (!(message instanceof Uint8Array)) return undefined;
  const m = protobufFields(message);
  const number = (field: number) => {
    const value = m.get(field)?.[0];
    return typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : undefined;
  };
  const bytes = (field: number) => {
    const value = m.get(field)?.[0];
    return value instanceof Uint8Array ? value : undefined;
  };
  const type = number(1);
  if (type !== AUTH_RESPONSE && type !== CLIENT_RESPONSE) return undefined;
  const address = bytes(4);
  const wire = bytes(14);
  if (!address || !wire) return undefined;
  const responseSec = number(12);
  const responseNs = number(13) ?? 0;
  const querySec = number(8);
  const queryNs = number(9) ?? 0;
  const time = responseSec === undefined ? Date.now() : responseSec * 1000 + responseNs / 1e6;
  const latency =
    querySec === undefined || responseSec === undefined
      ? 0
      : Math.round((responseSec - querySec) * 1e6 + (responseNs - queryNs) / 1e3) / 1000;
  return {
    time: new Date(time).toISOString(),
    client: clientLabel(addressText(address), number(6) ?? 0),
    transport: number(3) === 2 ? 'tcp' : 'udp',
    ...question(wire),
    size: wire.length,
    truncated: wire.length >= 3 && (wire[2]! & 0x02) !== 0,
    // From the query's arrival to the response, when the server logs both times (NSD does not).
    latencyMs: latency,
  };
}

/** The first question and the RCODE of a DNS message (RFC 1035 §4.1). */
function question(wire: Uint8Array): { qname: string | null; qtype: string | null; rcode: string | null } {
  if (wire.length < 12) return { qname: null, qtype: null, rcode: null };
  const rcode = rcodeName(wire[3]! & 0x0f);
  const qdcount = (wire[4]! << 8) | wire[5]!;
  if (qdcount === 0) return { qname: null, qtype: null, rcode };
  const labels: string[] = [];
  let pos = 12;
  for (;;) {
    const length = wire[pos];
    // A question name is never compressed (it is the first name in the message).
    if (length === undefined || length > 63) return { qname: null, qtype: null, rcode };
    pos += 1;
    if (length === 0) break;
    labels.push(Buffer.from(wire.subarray(pos, pos + length)).toString('latin1'));
    pos += length;
  }
  if (pos + 2 > wire.length) return { qname: null, qtype: null, rcode };
  return { qname: labels.join('.'), qtype: typeName((wire[pos]! << 8) | wire[pos + 1]!), rcode };
}

function addressText(octets: Uint8Array): string {
  if (octets.length === 4) return [...octets].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < octets.length; i += 2) groups.push(((octets[i]! << 8) | octets[i + 1]!).toString(16));
  return canonicalIPv6(groups.join(':'));
}

/** The fields of a protobuf message by number, each value as it came (varints as bigint). */
function protobufFields(data: Uint8Array): Map<number, (bigint | number | Uint8Array)[]> {
  const fields = new Map<number, (bigint | number | Uint8Array)[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= data.length || shift > 63n) throw new Error('bad varint');
      const byte = data[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length: number): Uint8Array => {
    if (pos + length > data.length) throw new Error('short field');
    pos += length;
    return data.subarray(pos - length, pos);
  };
  while (pos < data.length) {
    const key = Number(varint());
    const field = key >>> 3;
    let value: bigint | number | Uint8Array;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = Buffer.from(take(8)).readBigUInt64LE(0);
        break;
      case 2:
        value = take(Number(varint()));
        break;
      case 5:
        value = Buffer.from(take(4)).readUInt32LE(0);
        break;
      default:
        throw new Error(`wire type ${key & 7}`);
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}
