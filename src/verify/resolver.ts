/**
 * Verify's resolver: Node's c-ares, asking only the running plan's DNS, as an Internet MTA asks
 * the Internet. Built from the engine's DNS endpoint alone, and its own: the relays' resolver is
 * part of what verify checks, and a check that shares the code it checks agrees with its bugs.
 */
import { promises as dns } from 'node:dns';
import type { DnsEndpoint } from '../sandbox/engine.js';

export function outsideResolver(server: DnsEndpoint, options: { timeoutMs: number; tries: number }): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
  resolver.setServers([`${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}`]);
  return resolver;
}

/**
 * What a failed lookup says about the name: it exists without records of the type (c-ares
 * ENODATA), it does not exist (ENOTFOUND, NXDOMAIN), or nothing reliable came back (a timeout,
 * SERVFAIL, REFUSED: ask again, RFC 5321 §5.1).
 */
export function lookupFailure(error: unknown): 'nodata' | 'nxdomain' | 'temporary' {
  switch ((error as { code?: string } | undefined)?.code) {
    case 'ENODATA':
      return 'nodata';
    case 'ENOTFOUND':
      return 'nxdomain';
    default:
      return 'temporary';
  }
}
