/**
 * What the plan promises a receiver outside it about a domain's mail from one of its hosts, from
 * the plan's declarations alone (verify's oracle: never the relays' code, never the records
 * derived for DNS):
 *
 * - SPF (RFC 7208) passes when the address the host connects from is one the domain's SPF
 *   lists: a sender's planned address, or an `spf.ip4`/`spf.ip6` network (an `include:` is
 *   outside the plan's knowledge: no promise either way);
 * - DKIM (RFC 6376) passes for every active selector of the domain the host signs with;
 * - DMARC (RFC 7489) passes when either does, aligned: the plan's SPF and DKIM are for the From
 *   domain itself. Only a domain with a DMARC policy promises a DMARC result.
 */
import { activeSelectors } from '../topology/dkim.js';
import { canonicalIP, networkContains, parseCidr } from '../topology/ip.js';
import type { Domain, Host } from '../topology/types.js';

export interface AuthExpectation {
  /** The domain's SPF lists the source address; undefined: the plan cannot say (an include). */
  readonly spf: boolean | undefined;
  /** The selectors whose signatures must verify, d= the domain. */
  readonly dkim: readonly string[];
  /** The domain's DMARC policy (p=), when it publishes one. */
  readonly dmarc: string | undefined;
}

export function expectAuthentication(domain: Domain, host: Host, source: string | undefined): AuthExpectation {
  return {
    spf: source === undefined ? undefined : spfLists(domain, source),
    dkim: activeSelectors(domain, host.id)
      .filter((s) => s.key.status === 'ok' && s.published)
      .map((s) => s.selector),
    dmarc: domain.dmarc?.policy.toLowerCase(),
  };
}

function spfLists(domain: Domain, source: string): boolean | undefined {
  const address = canonicalIP(source);
  if (domain.nullMx) return false;
  if (domain.senders.some((h) => [...h.ipv4, ...h.ipv6].map(canonicalIP).includes(address))) return true;
  for (const text of [...domain.spf.ip4, ...domain.spf.ip6]) {
    const network = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
    if (network && networkContains(network, address)) return true;
  }
  return domain.spf.include.length > 0 ? undefined : false;
}

/** The planned host with an address, for reports ("192.0.2.11 (mail2)"). */
export function hostWithAddress(hosts: Iterable<Host>, address: string): Host | undefined {
  const canonical = canonicalIP(address);
  for (const host of hosts) if ([...host.ipv4, ...host.ipv6].map(canonicalIP).includes(canonical)) return host;
  return undefined;
}
