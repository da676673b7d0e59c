/**
 * The caller's domains outside the plan in the lab (EngineOptions `outside`: verify's receiver).
 * Each domain's exchange has addresses of the outside namespace (layout.ts), where the sockets
 * helper listens on port 25; the plan's hosts reach it over the lab's links as any Internet MTA,
 * and every connection it takes is handed to the lab's process and joined on to the caller's
 * listener on loopback (CallerLinks, as the loopback sandbox joins its forwarders). The planned
 * address behind each is the peer the outside's listener saw: the host's real source address.
 */
import type { Endpoint, OutsideDomain, OutsideExchange } from '../sandbox/engine.js';
import { CallerLinks, outsideDomainName } from '../sandbox/outside.js';
import type { Plan } from '../topology/types.js';
import { canonicalIP } from '../topology/ip.js';
import { SMTP_PORT } from './relay-helper.js';
import type { NamespaceSockets } from './sockets.js';

export interface OutsideDomains {
  /** The planned address behind a connection the caller's listener took from `remote`. */
  sourceOf(remote: Endpoint): string | undefined;
  close(): void;
}

export async function startOutsideDomains(
  plan: Plan,
  exchanges: readonly OutsideExchange[],
  domains: readonly OutsideDomain[],
  outside: NamespaceSockets,
): Promise<OutsideDomains> {
  const endpoints = new Map(domains.map((d) => [outsideDomainName(plan, d.domain), d.endpoint]));
  const links = new CallerLinks();
  for (const { domain, addresses } of exchanges) {
    const endpoint = endpoints.get(domain)!;
    for (const address of addresses)
      await outside.listen(address, SMTP_PORT, (socket, remote) =>
        links.join(socket, endpoint, canonicalIP(remote.host)),
      );
  }
  return { sourceOf: (remote) => links.sourceOf(remote), close: () => links.close() };
}
