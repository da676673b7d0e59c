import { managedZones } from '../facts.js';
import { isIpLiteral } from '../../topology/ip.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-target-not-alias',
    category: 'mx',
    description: 'MX targets in a managed zone name a planned host, not some other name of that zone.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 2181 §10.3', 'RFC 5321 §5.1', 'RFC 1912 §2.4'],
    rationale:
      'An MX must name a host that has address records itself, never an alias (RFC 2181 §10.3; RFC 5321 §5.1). ' +
      'mxplan writes every record of its managed zones and publishes no CNAMEs, so the equivalent mistake is an MX target ' +
      'inside a managed zone that is not the fqdn of a planned host: a mail domain (it has MX records, not addresses), ' +
      "a name server (it has addresses but runs no mail relay), a host's EHLO name, or a name that holds nothing at all. " +
      "Senders find no address, or reach a machine that does not accept the domain's mail.",
    fix: 'Name the planned host (its id or fqdn) that should receive the mail.',
    messages: {
      mailDomain:
        'domain {domain}: MX target {target} is mail domain {other}, which has MX records but no address of its own',
      nameServer:
        'domain {domain}: MX target {target} is a name server, not a planned mail host; no relay receives mail there',
      heloName:
        'domain {domain}: MX target {target} is the EHLO name of host {host}, not its fqdn ({fqdn}); the plan publishes no address at it',
      noRecords:
        'domain {domain}: MX target {target} lies in managed zone {zone} but names no planned host; the plan publishes no address there',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    const nameServers = new Set(plan.nameservers.map((ns) => ns.name));
    const byHelo = new Map([...plan.hosts.values()].filter((h) => h.helo !== h.fqdn).map((h) => [h.helo, h]));
    for (const domain of plan.domains.values()) {
      for (const mx of domain.mx) {
        if (mx.host || mx.exchange === '' || isIpLiteral(mx.raw)) continue;
        const zone = zones.enclosing(mx.exchange);
        if (!zone) continue; // outside every managed zone: mx-target-planned
        const data = { domain: domain.display, target: mx.exchange, zone };
        const mailDomain = plan.domains.get(mx.exchange);
        const helo = byHelo.get(mx.exchange);
        if (mailDomain)
          report({
            messageId: 'mailDomain',
            data: { ...data, other: mailDomain.display },
            at: mx.at,
            related: [mailDomain.at],
          });
        else if (nameServers.has(mx.exchange)) report({ messageId: 'nameServer', data, at: mx.at });
        else if (helo)
          report({
            messageId: 'heloName',
            data: { ...data, host: helo.id, fqdn: helo.fqdn },
            at: mx.at,
            related: [helo.at],
          });
        else report({ messageId: 'noRecords', data, at: mx.at });
      }
    }
  },
});
