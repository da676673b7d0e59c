/**
 * How a relay reaches a planned address. Every relay listens on 127.0.0.1 with its own port, and
 * the zones are served unchanged, so an MX lookup yields planned addresses (192.0.2.10): the
 * endpoint book maps each one (with its port: 25 for SMTP, 443 for a web host's HTTPS) to the
 * loopback endpoint standing in for it. An address that is not in the book is unreachable and is
 * never dialled (nothing leaves loopback).
 */
import { canonicalIP } from '../topology/ip.js';

export const SMTP_PORT = 25;
export const HTTPS_PORT = 443;

function entryKey(address: string, port: number): string {
  return `${canonicalIP(address)} ${port}`;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface Connector {
  /** The endpoint standing in for a planned address and port (25 by default), or undefined when it is unreachable. */
  endpointFor(address: string, port?: number): Endpoint | undefined;
  /** Why an address is unreachable, in a few words, when the connector knows better than "no endpoint". */
  whyUnreachable?(address: string): string | undefined;
}

/**
 * Planned addresses to the loopback endpoints standing in for them, mutable: the sandbox fills it
 * as relays start. (The plan's book of mail addresses is topology/address-book.ts.)
 */
export class EndpointBook implements Connector {
  private readonly book = new Map<string, Endpoint>();

  constructor(entries: Iterable<readonly [string, Endpoint]> = []) {
    for (const [address, endpoint] of entries) this.set(address, endpoint);
  }

  set(address: string, endpoint: Endpoint, port = SMTP_PORT): void {
    this.book.set(entryKey(address, port), endpoint);
  }

  delete(address: string, port = SMTP_PORT): void {
    this.book.delete(entryKey(address, port));
  }

  endpointFor(address: string, port = SMTP_PORT): Endpoint | undefined {
    return this.book.get(entryKey(address, port));
  }
}
