/**
 * One log entry per query, written as NDJSON by `mxplan dns --log`. The entry is built only
 * when a log is wanted, so the fast path pays nothing otherwise.
 */
import type { Exchange } from './chain.js';
import { Outcome } from './chain.js';
import { rcodeName, typeName } from './wire.js';

export interface QueryLogEntry {
  /** ISO 8601 time the reply went out. */
  readonly time: string;
  /** "address:port" of the client ("[address]:port" for IPv6). */
  readonly client: string;
  readonly transport: 'udp' | 'tcp';
  /** The question name as the client wrote it (letter case kept); null when unreadable. */
  readonly qname: string | null;
  readonly qtype: string | null;
  /** RCODE mnemonic (NOERROR for a transfer), or null when the query got no reply. */
  readonly rcode: string | null;
  /** Octets in the reply (all messages of a transfer); 0 when dropped. */
  readonly size: number;
  readonly truncated: boolean;
  /**
   * From the datagram (or TCP message) arriving to the reply being handed to the socket (over
   * UDP, the replies to one burst of datagrams then leave together, at its end).
   */
  readonly latencyMs: number;
}

export type QueryLog = (entry: QueryLogEntry) => void;

export function logEntry(
  x: Exchange,
  outcome: Outcome,
  client: string,
  size: number,
  latencyMs: number,
): QueryLogEntry {
  const q = x.query;
  const readable = q.questionEnd > 0;
  return {
    time: new Date().toISOString(),
    client,
    transport: x.transport,
    qname: readable ? q.displayName() : null,
    qtype: readable ? typeName(q.qtype) : null,
    rcode: outcome === Outcome.DROP ? null : outcome === Outcome.TRANSFER ? 'NOERROR' : rcodeName(x.rcode),
    size,
    truncated: outcome === Outcome.REPLY && x.truncated,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  };
}

export function clientLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
