/**
 * The relay's view of DNS: MX, A and AAAA lookups, injected. In the sandbox it is Node's c-ares
 * resolver pointed at mxplan's own responder, so the relays prove the published records exactly
 * as Internet MTAs would read them; the system resolver is never used (it leaves the machine).
 *
 * Errors keep c-ares' codes: ENODATA (the name exists, no such record), ENOTFOUND (NXDOMAIN);
 * anything else (ESERVFAIL, EREFUSED, ETIMEOUT, ECONNREFUSED) is temporary (RFC 5321 §5.1).
 */
import { promises as dns } from 'node:dns';

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

export interface MailResolver {
  resolveMx(domain: string): Promise<MxRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export type DnsOutcome = 'nodata' | 'nxdomain' | 'temporary';

export function classifyDnsError(error: unknown): DnsOutcome {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ENODATA') return 'nodata';
  if (code === 'ENOTFOUND') return 'nxdomain';
  return 'temporary';
}

export interface ResponderAddress {
  readonly address: string;
  readonly port: number;
}

/** A c-ares resolver that asks only the given server (the sandbox's responder). */
export function caresResolver(
  server: ResponderAddress,
  options: { timeoutMs?: number; tries?: number } = {},
): MailResolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 1000, tries: options.tries ?? 2 });
  const host = server.address.includes(':') ? `[${server.address}]` : server.address;
  resolver.setServers([`${host}:${server.port}`]);
  return {
    resolveMx: (domain) => resolver.resolveMx(domain),
    resolve4: (name) => resolver.resolve4(name),
    resolve6: (name) => resolver.resolve6(name),
  };
}
