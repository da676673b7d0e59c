import { ipv6Nibbles, parseCidr, type Network } from '../../topology/ip.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'reverse-zone-aligned',
    category: 'dns',
    description:
      'Reverse networks lie on octet (IPv4) or nibble (IPv6) boundaries and are written by their first address.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 2317', 'RFC 1035 §3.5', 'RFC 3596 §2.5'],
    rationale:
      'Reverse zones are cut at label boundaries: whole octets under in-addr.arpa (RFC 1035 §3.5), whole nibbles under ' +
      "ip6.arpa (RFC 3596 §2.5). A network such as a /25 needs RFC 2317 classless delegation from the parent zone's " +
      'owner, which mxplan does not generate: no PTR is written for its addresses. A network written with host bits ' +
      'set (192.0.2.5/24) is probably not the one that was meant.',
    fix: "Use a /8, /16 or /24 for IPv4 and a multiple of 4 for IPv6, written by the network's first address.",
    messages: {
      unaligned:
        'reverse network {cidr} is not on {boundary} boundary; RFC 2317 classless zones are not generated, so its addresses get no PTR',
      hostBits: 'reverse network {cidr} has host bits set; the network is {network}',
    },
  },
  check({ plan, report }) {
    for (const reverse of plan.reverse) {
      if (!reverse.aligned) {
        report({
          messageId: 'unaligned',
          data: { cidr: reverse.cidr, boundary: reverse.family === 4 ? 'an octet' : 'a nibble' },
          at: reverse.at,
        });
        continue;
      }
      const network = parseCidr(reverse.cidr)!;
      const start = firstAddress(network);
      if (start !== network.address)
        report({
          messageId: 'hostBits',
          data: { cidr: reverse.cidr, network: `${start}/${network.prefix}` },
          at: reverse.at,
        });
    }
  },
});

/** The network's first address (the address with its host bits cleared), in the form the plan writes. */
function firstAddress({ family, address, prefix }: Network): string {
  if (family === 4) {
    const value = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const hostSize = 2 ** (32 - prefix);
    const start = Math.floor(value / hostSize) * hostSize;
    return [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.');
  }
  // Aligned IPv6 prefixes end on a nibble: keep the first prefix/4 nibbles, zero the rest.
  const nibbles = ipv6Nibbles(address);
  const kept = nibbles.slice(0, prefix / 4).padEnd(32, '0');
  if (kept === nibbles) return address;
  const groups = kept.match(/.{4}/g)!.join(':');
  return parseCidr(`${groups}/${prefix}`)!.address;
}
