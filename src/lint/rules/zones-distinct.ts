import type { InfraZone, ReverseZone } from '../../topology/types.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'zones-distinct',
    category: 'dns',
    description:
      'Each zone is listed once: no repeated `zones:` entry, no two reverse networks for one reverse zone, no reverse zone under `zones:`.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1034 §4.2', 'RFC 2181 §6'],
    rationale:
      'A zone has one apex and one SOA (RFC 1034 §4.2, RFC 2181 §6). mxplan writes each zone once: a repeated `zones:` ' +
      'entry or two reverse networks that round to the same reverse zone are merged silently, which usually hides a typo ' +
      '(a network meant to be another). A reverse zone also listed under `zones:` is written as an infrastructure zone, ' +
      'and its PTR records are lost. Nested zones are fine: the plan writes the delegation (NS and glue) in the parent. ' +
      'A name that is both a mail domain and under `zones:` is one zone on purpose.',
    fix: 'Remove the repeated entry, correct the network that was meant, or list reverse zones only under `dns.reverse`.',
    messages: {
      duplicateZone: 'zone {zone} is listed twice under zones',
      duplicateReverse: 'reverse networks {first} and {cidr} make the same zone {zone}',
      reverseAsZone:
        'zone {zone} is the reverse zone of {cidr}; listed under zones it is written without its PTR records',
    },
  },
  check({ plan, report }) {
    const zones = new Map<string, InfraZone>();
    for (const zone of plan.zones) {
      const first = zones.get(zone.name);
      if (first) report({ messageId: 'duplicateZone', data: { zone: zone.name }, at: zone.at, related: [first.at] });
      else zones.set(zone.name, zone);
    }
    const reverses = new Map<string, ReverseZone>();
    for (const reverse of plan.reverse) {
      if (!reverse.aligned) continue; // not generated: reverse-zone-aligned
      const first = reverses.get(reverse.zone);
      if (first)
        report({
          messageId: 'duplicateReverse',
          data: { first: first.cidr, cidr: reverse.cidr, zone: reverse.zone },
          at: reverse.at,
          related: [first.at],
        });
      else reverses.set(reverse.zone, reverse);
      const asZone = zones.get(reverse.zone);
      if (asZone && !first)
        report({
          messageId: 'reverseAsZone',
          data: { zone: reverse.zone, cidr: reverse.cidr },
          at: asZone.at,
          related: [reverse.at],
        });
    }
  },
});
