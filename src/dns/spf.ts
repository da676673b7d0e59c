/**
 * SPF policies (RFC 7208) derived from the plan: one for each mail domain, one for each HELO name.
 *
 * Addresses are listed as ip4:/ip6: mechanisms, never `a` or `mx`: they cost no DNS lookup
 * (RFC 7208 §4.6.4 allows ten), and they state exactly the planned senders.
 */
import { canonicalIPv6, familyOf, ipv6Nibbles } from '../topology/ip.js';
import type { Domain, Host } from '../topology/types.js';

/** The policy of a domain that sends nothing: `-all` fails every host (RFC 7208 §5.1). */
export const NULL_SPF = 'v=spf1 -all';

/**
 * The policy of a mail domain:
 * - `v=spf1 ip4:… ip6:… include:… <all>`: the addresses of the domain's senders and of its
 *   `spf.ip4`/`spf.ip6` (each family sorted numerically, duplicates dropped), then its
 *   `spf.include` names as written (duplicates dropped), then its `all` qualifier;
 * - `v=spf1 -all` when there is nothing to authorise, or when the domain has a null MX
 *   (RFC 7505 §4.2: a domain that accepts no mail should not send any either).
 */
export function domainSpf(domain: Domain): string {
  if (domain.nullMx) return NULL_SPF;
  const ip4 = [...domain.senders.flatMap((h) => h.ipv4), ...domain.spf.ip4];
  const ip6 = [...domain.senders.flatMap((h) => h.ipv6), ...domain.spf.ip6];
  const mechanisms = [...addressMechanisms(ip4, ip6), ...unique(domain.spf.include).map((name) => `include:${name}`)];
  if (mechanisms.length === 0) return NULL_SPF;
  return ['v=spf1', ...mechanisms, domain.spf.all].join(' ');
}

/**
 * The policy of a HELO name (RFC 7208 §2.3: receivers check the HELO identity too, and it is the
 * only identity of a bounce): the addresses of every host that greets with that name, or `a` when
 * none of them has a planned address.
 */
export function heloSpf(hosts: readonly Host[]): string {
  const mechanisms = addressMechanisms(
    hosts.flatMap((h) => h.ipv4),
    hosts.flatMap((h) => h.ipv6),
  );
  return ['v=spf1', ...(mechanisms.length > 0 ? mechanisms : ['a']), '-all'].join(' ');
}

/** ip4:/ip6: mechanisms for addresses or networks; /32 and /128 are dropped (RFC 7208 §5.6). */
function addressMechanisms(ip4: readonly string[], ip6: readonly string[]): string[] {
  const v4 = unique(ip4.map((n) => network(n, 4))).sort(byKey((n) => ipv4Key(n)));
  const v6 = unique(ip6.map((n) => network(n, 6))).sort(byKey((n) => ipv6Key(n)));
  return [...v4.map((n) => `ip4:${n}`), ...v6.map((n) => `ip6:${n}`)];
}

/** Canonical text of an address or network of the family; anything else is kept as written. */
function network(text: string, family: 4 | 6): string {
  const [address = '', prefix] = text.trim().split('/');
  if (familyOf(address) !== family) return text.trim();
  const canonical = family === 6 ? canonicalIPv6(address) : address;
  const host = family === 4 ? '32' : '128';
  return prefix === undefined || prefix === host ? canonical : `${canonical}/${prefix}`;
}

function ipv4Key(n: string): string {
  const [address = '', prefix = '32'] = n.split('/');
  if (familyOf(address) !== 4) return `~${n}`;
  return `${address
    .split('.')
    .map((o) => o.padStart(3, '0'))
    .join('.')}/${prefix.padStart(2, '0')}`;
}

function ipv6Key(n: string): string {
  const [address = '', prefix = '128'] = n.split('/');
  if (familyOf(address) !== 6) return `~${n}`;
  return `${ipv6Nibbles(address)}/${prefix.padStart(3, '0')}`;
}

function byKey(key: (s: string) => string): (a: string, b: string) => number {
  return (a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
