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
import type { Domain, Host, Plan } from '../topology/types.js';

export interface AuthExpectation {
  /** The domain SPF is checked for: the MAIL FROM's, or the HELO name for a DSN (RFC 7208 §2.3). */
  readonly spfDomain: string;
  /** The domain DKIM must sign for (d=). */
  readonly dkimDomain: string;
  /** The domain's SPF lists the source address; undefined: the plan cannot say (an include). */
  readonly spf: boolean | undefined;
  /** The selectors whose signatures must verify, d= the domain. */
  readonly dkim: readonly string[];
  /** The domain's DMARC policy (p=), when it publishes one. */
  readonly dmarc: string | undefined;
}

/** A user's message of `domain`, submitted at `host`. */
export function expectAuthentication(domain: Domain, host: Host, source: string | undefined): AuthExpectation {
  return {
    spfDomain: domain.name,
    dkimDomain: domain.name,
    spf: source === undefined ? undefined : spfLists(domain, source),
    dkim: signingSelectors(domain, host),
    dmarc: domain.dmarc?.policy.toLowerCase(),
  };
}

/**
 * A DSN from `host`: from the null reverse-path, so SPF is checked for its HELO name (RFC 7208
 * §2.3), where the plan publishes the addresses of the hosts that greet with it (or the domain's
 * own SPF, at a domain's apex); From is MAILER-DAEMON@<its name>, and the planned domain at or
 * above that name is the one that signs it and whose DMARC policy applies.
 */
export function expectDsnAuthentication(plan: Plan, host: Host, source: string | undefined): AuthExpectation {
  const domain = enclosingDomain(plan, host.fqdn);
  const apex = plan.domains.get(host.helo);
  const heloSpf = inManagedZone(plan, host.helo);
  const greeters = [...plan.hosts.values()].filter((h) => h.helo === host.helo);
  return {
    spfDomain: host.helo,
    dkimDomain: domain?.name ?? host.fqdn,
    spf:
      source === undefined
        ? undefined
        : apex
          ? spfLists(apex, source)
          : heloSpf && greeters.some((h) => [...h.ipv4, ...h.ipv6].map(canonicalIP).includes(canonicalIP(source))),
    dkim: domain ? signingSelectors(domain, host) : [],
    dmarc: domain?.dmarc?.policy.toLowerCase(),
  };
}

/** The selectors whose signature must verify: active, the host's, with a key and a record. */
function signingSelectors(domain: Domain, host: Host): string[] {
  return activeSelectors(domain, host.id)
    .filter((s) => s.key.status === 'ok' && s.published)
    .map((s) => s.selector);
}

/** The planned mail domain that is `name` or nearest above it. */
export function enclosingDomain(plan: Plan, name: string): Domain | undefined {
  for (let n = name; ; n = n.slice(n.indexOf('.') + 1)) {
    const domain = plan.domains.get(n);
    if (domain) return domain;
    if (!n.includes('.')) return undefined;
  }
}

/** Whether the plan writes records for `name`: it lies in a mail domain or an infrastructure zone. */
function inManagedZone(plan: Plan, name: string): boolean {
  const zones = new Set([...plan.domains.keys(), ...plan.zones.map((z) => z.name)]);
  for (let n = name; ; n = n.slice(n.indexOf('.') + 1)) {
    if (zones.has(n)) return true;
    if (!n.includes('.')) return false;
  }
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
