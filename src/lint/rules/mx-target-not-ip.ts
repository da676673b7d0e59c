import { hostsByAddress } from '../facts.js';
import { ipLiteral } from '../../topology/ip.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-target-not-ip',
    category: 'mx',
    description: 'MX targets are host names, never IP address literals.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 1035 §3.3.9'],
    rationale:
      'The EXCHANGE field of an MX record is a domain name (RFC 1035 §3.3.9), and RFC 5321 §5.1 says it "MUST contain ' +
      'a domain name". A sender reading `MX 10 192.0.2.25.` looks up A records for a name whose last label is "25." ' +
      'and finds none, so the record is useless or, with several MX records, silently drops out of the rotation.',
    fix: 'Name the planned host that owns the address (its id or fqdn) instead of the address.',
    messages: {
      ipLiteral:
        'domain {domain}: MX target "{target}" is an IP address; an MX names a host, whose A/AAAA records hold the address{hint}',
    },
  },
  check({ plan, report }) {
    const byAddress = hostsByAddress(plan);
    for (const domain of plan.domains.values()) {
      for (const mx of domain.mx) {
        const address = mx.host ? undefined : ipLiteral(mx.raw);
        if (!address) continue;
        const owner = byAddress.get(address)?.[0];
        report({
          messageId: 'ipLiteral',
          data: { domain: domain.display, target: mx.raw, hint: owner ? ` (it belongs to host ${owner.id})` : '' },
          at: mx.at,
        });
      }
    }
  },
});
