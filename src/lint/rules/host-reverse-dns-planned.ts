import { networkContains, parseCidr, reverseName } from '../../topology/ip.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'host-reverse-dns-planned',
    category: 'dns',
    description: 'Every mail host address lies in a reverse zone the plan writes, so it gets a PTR naming the host.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1912 §2.1', 'RFC 5321 §4.1.4', 'RFC 8601 §2.7.3'],
    rationale:
      'Receivers check forward-confirmed reverse DNS: the PTR of the connecting address must name a host whose A/AAAA ' +
      'leads back to it (RFC 1912 §2.1 asks for a PTR for every address). Mail from an address without one is commonly ' +
      "refused or scored as spam, and relays between the plan's own hosts log unverifiable names. The plan writes PTR " +
      'records for addresses inside the reverse zones of `dns.reverse` (on octet or nibble boundaries); for any other ' +
      'address, whoever holds its reverse zone (usually the provider of the address) must publish it.',
    fix: "Add the host's network to `dns.reverse` if you control its reverse zone; otherwise ask its provider for a PTR naming the host's fqdn.",
    messages: {
      outside:
        'host {host}: address {address} lies outside every reverse zone in dns.reverse; its provider must publish PTR {fqdn}',
      unaligned:
        'host {host}: address {address} lies in {cidr}, which is not on an octet or nibble boundary, so the plan writes no PTR for it; its provider must publish PTR {fqdn}',
    },
  },
  check({ plan, report }) {
    const aligned = new Set(plan.reverse.filter((r) => r.aligned).map((r) => r.zone));
    const unaligned = plan.reverse
      .filter((r) => !r.aligned)
      .map((r) => ({ cidr: r.cidr, network: parseCidr(r.cidr)! }));
    const covered = (address: string) => {
      // The zone enclosing the PTR owner name, found as the record derivation finds it: label by label.
      for (let name = reverseName(address); name.includes('.'); name = name.slice(name.indexOf('.') + 1)) {
        if (aligned.has(name)) return true;
      }
      return false;
    };
    for (const host of plan.hosts.values()) {
      for (const [family, addresses] of [
        ['ipv4', host.ipv4],
        ['ipv6', host.ipv6],
      ] as const) {
        for (const address of addresses) {
          if (covered(address)) continue;
          const within = unaligned.find((u) => networkContains(u.network, address));
          const data = { host: host.id, address, fqdn: host.fqdn, cidr: within?.cidr ?? '' };
          report({ messageId: within ? 'unaligned' : 'outside', data, at: host.fields[family] ?? host.at });
        }
      }
    }
  },
});
