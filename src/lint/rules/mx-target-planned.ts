import { didYouMean } from '../../topology/did-you-mean.js';
import { hasAddress, managedZones } from '../facts.js';
import { isIpLiteral } from '../../topology/ip.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-target-planned',
    category: 'mx',
    description: 'Every MX target is a planned mail host with at least one address.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 1035 §3.3.9'],
    rationale:
      'Senders look up the A/AAAA records of each MX target and connect there. A target that is not a planned host ' +
      'has no relay configured for the domain, and one without addresses is skipped by every sender ' +
      '(RFC 5321 §5.1: the target "MUST" resolve to at least one address).',
    fix: 'Name a host id from `hosts:` as the MX host, and give that host an ipv4 or ipv6 address.',
    messages: {
      unknown: 'domain {domain}: MX target "{target}" is not a planned host{hint}',
      noAddress: 'domain {domain}: MX target {host} ({fqdn}) has no ipv4 or ipv6 address',
    },
  },
  check({ plan, report }) {
    const zones = managedZones(plan);
    const names = [...plan.hosts.keys()];
    for (const domain of plan.domains.values()) {
      for (const mx of domain.mx) {
        if (mx.host) {
          if (!hasAddress(mx.host)) {
            report({
              messageId: 'noAddress',
              data: { domain: domain.display, host: mx.host.id, fqdn: mx.host.fqdn },
              at: mx.at,
              related: [mx.host.at],
            });
          }
          continue;
        }
        // Each of these has a rule that says it better: the null MX root (mx-null-alone), an IP
        // literal (mx-target-not-ip), a name in a managed zone that is no host (mx-target-not-alias).
        if (mx.exchange === '' || isIpLiteral(mx.raw) || zones.enclosing(mx.exchange)) continue;
        report({
          messageId: 'unknown',
          data: { domain: domain.display, target: mx.raw, hint: didYouMean(mx.raw, names) },
          at: mx.at,
        });
      }
    }
  },
});
