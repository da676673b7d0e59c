/** IP addresses and networks: canonical text, containment, and reverse-DNS names. */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function familyOf(address: string): Family | undefined {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
}

/** The 128 bits of an IPv6 address as 32 lowercase hex nibbles (IPv4-in-IPv6 tails included). */
export function ipv6Nibbles(address: string): string {
  let text = address.toLowerCase();
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4Tail[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** RFC 5952 text form (lowercase, longest zero run compressed). */
export function canonicalIPv6(address: string): string {
  const groups = ipv6Nibbles(address)
    .match(/.{4}/g)!
    .map((g) => g.replace(/^0+(?=.)/, ''));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

export function canonicalIP(address: string): string {
  return familyOf(address) === 6 ? canonicalIPv6(address) : address;
}

function ipv4Bits(address: string): string {
  return address
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
}

function ipv6Bits(address: string): string {
  return [...ipv6Nibbles(address)].map((n) => parseInt(n, 16).toString(2).padStart(4, '0')).join('');
}

export interface Network {
  readonly family: Family;
  readonly address: string;
  readonly prefix: number;
}

export function parseCidr(cidr: string): Network | undefined {
  const [address, prefixText] = cidr.split('/');
  const family = familyOf(address ?? '');
  const prefix = Number(prefixText);
  if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { family, address: family === 6 ? canonicalIPv6(address!) : address!, prefix };
}

export function networkContains(network: Network, address: string): boolean {
  const family = familyOf(address);
  if (family !== network.family) return false;
  const bits = family === 4 ? ipv4Bits : ipv6Bits;
  return bits(address).slice(0, network.prefix) === bits(network.address).slice(0, network.prefix);
}

/** The owner name of an address's PTR record ("10.2.0.192.in-addr.arpa", "…ip6.arpa"). */
export function reverseName(address: string): string {
  if (familyOf(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${[...ipv6Nibbles(address)].reverse().join('.')}.ip6.arpa`;
}

/**
 * The reverse zone for a network: whole octets (IPv4) or nibbles (IPv6) of the prefix.
 * A prefix off those boundaries is rounded down to the enclosing one; lint reports it,
 * since RFC 2317 classless delegation is not generated.
 */
export function reverseZoneName(network: Network): string {
  if (network.family === 4) {
    const octets = Math.floor(network.prefix / 8);
    return [...network.address.split('.').slice(0, octets).reverse(), 'in-addr', 'arpa'].join('.');
  }
  const nibbles = Math.floor(network.prefix / 4);
  return [...[...ipv6Nibbles(network.address)].slice(0, nibbles).reverse(), 'ip6', 'arpa'].join('.');
}

export function isAligned(network: Network): boolean {
  return network.prefix % (network.family === 4 ? 8 : 4) === 0;
}

/**
 * The canonical address of a name written as an address literal (`192.0.2.1`, `[192.0.2.1]`,
 * `2001:db8::1`, `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3), or undefined for a name.
 */
export function ipLiteral(text: string): string | undefined {
  const bare = text
    .trim()
    .replace(/^\[(ipv6:)?/i, '')
    .replace(/\]$/, '')
    .replace(/\.$/, '');
  return familyOf(bare) === undefined ? undefined : canonicalIP(bare);
}

export function isIpLiteral(text: string): boolean {
  return ipLiteral(text) !== undefined;
}
