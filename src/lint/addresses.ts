/**
 * What becomes of an address the plan names, one owner for every rule that asks.
 *
 * The principle: whatever the zones the plan itself serves decide, lint knows. An address in a
 * planned domain is a planned user or alias, or refused; one in a domain with a null MX cannot be
 * delivered; one elsewhere in a served zone (`carol@mail.acme.example`, `noc@infra.example`) has
 * no MX in the plan's own DNS, and the relays accept no domain they do not serve: it bounces.
 * Only a name the plan does not serve is outside its knowledge.
 */
import { canonicalAddress, localPartProblem, nameSyntaxProblem, splitAddress } from '../topology/names.js';
import type { SourceLocation } from '../diagnostics.js';
import type { Domain, PlannedAddress, Plan } from '../topology/types.js';
import { domainOf, isReceiving, managedZones, perPlan } from './facts.js';

export type AddressFate =
  /** A planned user or alias of a receiving domain. */
  | { readonly kind: 'planned'; readonly domain: Domain; readonly target: PlannedAddress }
  /** RFC 5321 §3.3: the domain's MX hosts refuse it at RCPT. */
  | { readonly kind: 'unknown'; readonly domain: Domain }
  /** RFC 7505 §3: the domain receives no mail. */
  | { readonly kind: 'null-mx'; readonly domain: Domain }
  /** In a zone the plan serves, under a name that is no mail domain: no MX, no relay takes it. */
  | { readonly kind: 'unrouted'; readonly name: string; readonly zone: string }
  /** A name the plan does not serve. */
  | { readonly kind: 'outside' };

/** For messages: where an unrouted address lies. "infra.example, a zone the plan serves but no mail domain". */
export function unroutedWhere(fate: Extract<AddressFate, { kind: 'unrouted' }>): string {
  return fate.name === fate.zone
    ? `${fate.name}, a zone the plan serves but no mail domain`
    : `${fate.name}, a name in zone ${fate.zone}, which the plan serves, but no mail domain`;
}

/** The fate of a canonical, syntactically valid address. */
export function fateOf(plan: Plan, address: string): AddressFate {
  const name = domainOf(address);
  const domain = plan.domains.get(name);
  if (domain) {
    if (!isReceiving(domain)) return { kind: 'null-mx', domain };
    const target = plan.addresses.get(address);
    return target ? { kind: 'planned', domain, target } : { kind: 'unknown', domain };
  }
  const zone = managedZones(plan).enclosing(name);
  return zone ? { kind: 'unrouted', name, zone } : { kind: 'outside' };
}

/**
 * What is wrong with a full address (RFC 5321 §4.1.2 dot-atom local part, UTF-8 allowed by RFC
 * 6532 §3.2; host-name domain), or undefined. A `published` address is written into a DNS record
 * (the SOA RNAME, a DMARC or TLS-RPT mailto: URI), which carries it as ASCII text.
 */
export function addressProblem(address: string, { published = false } = {}): string | undefined {
  const parts = splitAddress(address);
  if (!parts) return 'is not an address (local@domain)';
  const local = localPartProblem(parts.local);
  if (local) return `has a local part that ${local}`;
  if (published && /[^\x20-\x7e]/.test(parts.local))
    return 'has a non-ASCII local part, which a DNS record cannot carry as written (RFC 1035 §3.3.13, RFC 6068 §2)';
  const domain = nameSyntaxProblem(parts.domain);
  return domain ? `has a domain that ${domain}` : undefined;
}

type DmarcReport = { dmarc: NonNullable<Domain['dmarc']>; tag: 'rua' | 'ruf'; address: string };

/** Every DMARC report address a domain plans, with its tag (RFC 7489 §6.3 rua and ruf). */
export function* dmarcReportAddresses(plan: Plan): Generator<DmarcReport & { domain: Domain }> {
  for (const domain of plan.domains.values()) for (const report of dmarcReportsOf(domain)) yield { domain, ...report };
}

function* dmarcReportsOf(domain: Domain): Generator<DmarcReport> {
  const { dmarc } = domain;
  if (!dmarc) return;
  for (const address of dmarc.rua) yield { dmarc, tag: 'rua', address };
  for (const address of dmarc.ruf) yield { dmarc, tag: 'ruf', address };
}

/** A TLS-RPT rua URI (RFC 8460 §3): its scheme, and for mailto: (or a bare address) the canonical address. */
export function tlsRptDestination(uri: string): { scheme: string; address?: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'mailto') return { scheme };
  return { scheme: 'mailto', address: canonicalAddress(scheme ? uri.slice(uri.indexOf(':') + 1) : uri) };
}

/** An address the plan sends mail to, where it is written and what names it (for messages). */
export interface AddressUse {
  readonly address: string;
  readonly at: SourceLocation;
  /** "alias sales@acme.example", "the SOA contact", "DMARC rua of acme.example". */
  readonly owner: string;
}

/** Every address the plan delivers to or publishes for others to write to. */
export function* addressUses(plan: Plan): Generator<AddressUse> {
  yield { address: plan.soa.contact, at: plan.soa.at, owner: 'the SOA contact' };
  for (const domain of plan.domains.values()) {
    for (const alias of domain.aliases.values()) {
      for (const member of alias.members)
        yield { address: member.address, at: member.at, owner: `alias ${alias.address}` };
    }
    for (const { tag, address, dmarc } of dmarcReportsOf(domain))
      yield { address, at: dmarc.at, owner: `DMARC ${tag} of ${domain.display}` };
    for (const uri of domain.tlsRpt?.rua ?? []) {
      const { address } = tlsRptDestination(uri);
      if (address) yield { address, at: domain.tlsRpt!.at, owner: `TLS-RPT rua of ${domain.display}` };
    }
  }
}

/**
 * The planned domain or zone one edit away from `name` (a letter added, dropped, changed, or two
 * neighbours swapped: `bakery.exmaple` for `bakery.example`), if any. The names are indexed by
 * their one-letter deletions, so a lookup costs a few map probes, not a pass over 10,000 domains.
 */
export function nearMiss(plan: Plan, name: string): string | undefined {
  const index = deletionIndex(plan);
  for (const variant of [name, ...deletions(name)]) {
    for (const candidate of index.get(variant) ?? []) if (oneEditApart(name, candidate)) return candidate;
  }
  return undefined;
}

const deletionIndex = perPlan((plan): ReadonlyMap<string, readonly string[]> => {
  const index = new Map<string, string[]>();
  const add = (key: string, name: string) => {
    const names = index.get(key);
    if (!names) index.set(key, [name]);
    else if (names.at(-1) !== name) names.push(name);
  };
  for (const name of new Set([...plan.domains.keys(), ...plan.zones.map((z) => z.name)])) {
    add(name, name);
    for (const variant of deletions(name)) add(variant, name);
  }
  return index;
});

function deletions(name: string): string[] {
  return Array.from(name, (_, i) => name.slice(0, i) + name.slice(i + 1));
}

/** Optimal string alignment distance exactly 1, in one pass. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // one letter changed
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // two swapped
  }
  const [longer, shorter] = a.length > b.length ? [a, b] : [b, a];
  return longer.slice(i + 1) === shorter.slice(i); // one letter added
}
