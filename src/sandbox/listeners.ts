/** What every engine does with its listeners: tells each, and turns its DNS log into the contract's. */
import type { QueryLogEntry } from '../dns/server.js';
import type { DnsQuery } from './engine.js';

/** Calls every listener with `value`; one that throws does not keep the others from hearing. */
export function tellEach<T>(listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch {
      // a failing listener must not keep the others from hearing
    }
  }
}

/** A query log entry of mxplan's responder as the contract's DnsQuery, with the host that asked when known. */
export function dnsQueryOf(entry: QueryLogEntry, host?: string): DnsQuery {
  return {
    time: Date.parse(entry.time),
    client: entry.client,
    ...(host !== undefined && { host }),
    transport: entry.transport,
    name: entry.qname,
    type: entry.qtype,
    rcode: entry.rcode,
  };
}
