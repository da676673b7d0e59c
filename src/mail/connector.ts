/**
 * How a relay reaches a planned address. Every relay listens on 127.0.0.1 with its own port, and
 * the zones are served unchanged, so an MX lookup yields planned addresses (192.0.2.10): the
 * endpoint book maps each one to the loopback endpoint standing in for it. An address that is not
 * in the book is unreachable and is never dialled (nothing leaves loopback).
 */
import { canonicalIP } from '../topology/ip.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface Connector {
  /** The endpoint standing in for a planned address, or undefined when it is unreachable. */
  endpointFor(address: string): Endpoint | undefined;
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

  set(address: string, endpoint: Endpoint): void {
    this.book.set(canonicalIP(address), endpoint);
  }

  delete(address: string): void {
    this.book.delete(canonicalIP(address));
  }

  endpointFor(address: string): Endpoint | undefined {
    return this.book.get(canonicalIP(address));
  }

  entries(): [string, Endpoint][] {
    return [...this.book.entries()];
  }
}
