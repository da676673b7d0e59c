import { addressProblem, fateOf, tlsRptDestination, unroutedWhere } from '../addresses.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'tls-rpt-rua-valid',
    category: 'transport',
    description:
      'TLS-RPT report destinations are mailto: addresses (planned ones in zones the plan serves) or https: URLs.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 8460 §3', 'RFC 8460 §5', 'RFC 5321 §5.1'],
    rationale:
      'The rua tag of a TLS-RPT record takes mailto: or https: URIs (RFC 8460 §3); senders ignore anything else and the ' +
      'domain never hears that TLS to its MX hosts fails, which is how an expired certificate on a backup goes ' +
      'unnoticed. A bare address is published as mailto:. A mailto: address in a zone the plan serves must be planned, ' +
      "or the reports bounce: refused by the domain's MX, or, under a name that is no mail domain, for want of an MX " +
      "in the plan's own DNS (RFC 5321 §5.1).",
    fix: 'Use `mailto:` followed by a planned address, or an `https:` URL that accepts reports.',
    messages: {
      scheme: 'domain {domain}: TLS-RPT rua "{uri}" is neither a mailto: address nor an https: URL',
      invalidAddress: 'domain {domain}: TLS-RPT rua "{uri}" {problem}',
      invalidUrl: 'domain {domain}: TLS-RPT rua "{uri}" is not a valid https: URL',
      unknown:
        'domain {domain}: TLS-RPT rua address {address} is not a planned address of {reportDomain}; reports to it bounce',
      unrouted:
        "domain {domain}: TLS-RPT rua address {address} is in {where}: the plan's DNS gives it no MX, and reports bounce",
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { tlsRpt } = domain;
      if (!tlsRpt) continue;
      for (const uri of tlsRpt.rua) {
        const data = { domain: domain.display, uri };
        const { scheme, address } = tlsRptDestination(uri);
        if (scheme === 'https') {
          if (!URL.canParse(uri) || !new URL(uri).hostname) report({ messageId: 'invalidUrl', data, at: tlsRpt.at });
          continue;
        }
        if (address === undefined) {
          report({ messageId: 'scheme', data, at: tlsRpt.at });
          continue;
        }
        const problem = addressProblem(address, { published: true });
        if (problem) {
          report({ messageId: 'invalidAddress', data: { ...data, problem }, at: tlsRpt.at });
          continue;
        }
        const fate = fateOf(plan, address);
        if (fate.kind === 'unknown' || fate.kind === 'null-mx')
          report({
            messageId: 'unknown',
            data: { ...data, address, reportDomain: fate.domain.display },
            at: tlsRpt.at,
            related: [fate.domain.at],
          });
        else if (fate.kind === 'unrouted')
          report({
            messageId: 'unrouted',
            data: { ...data, address, where: unroutedWhere(fate) },
            at: tlsRpt.at,
          });
      }
    }
  },
});
