import { addressProblem, domainOf, isReceiving } from '../facts.js';
import { canonicalAddress } from '../../topology/names.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'tls-rpt-rua-valid',
    category: 'transport',
    description: 'TLS-RPT report destinations are mailto: addresses (planned ones in planned domains) or https: URLs.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 8460 §3', 'RFC 8460 §5'],
    rationale:
      'The rua tag of a TLS-RPT record takes mailto: or https: URIs (RFC 8460 §3); senders ignore anything else and the ' +
      'domain never hears that TLS to its MX hosts fails, which is how an expired certificate on a backup goes ' +
      "unnoticed. A bare address is published as mailto:. A mailto: address in one of the plan's own domains must be " +
      'planned, or the reports bounce.',
    fix: 'Use `mailto:` followed by a planned address, or an `https:` URL that accepts reports.',
    messages: {
      scheme: 'domain {domain}: TLS-RPT rua "{uri}" is neither a mailto: address nor an https: URL',
      invalidAddress: 'domain {domain}: TLS-RPT rua "{uri}" {problem}',
      invalidUrl: 'domain {domain}: TLS-RPT rua "{uri}" is not a valid https: URL',
      unknown:
        'domain {domain}: TLS-RPT rua address {address} is not a planned address of {reportDomain}; reports to it bounce',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { tlsRpt } = domain;
      if (!tlsRpt) continue;
      for (const uri of tlsRpt.rua) {
        const data = { domain: domain.display, uri };
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
        if (scheme === 'https') {
          if (!URL.canParse(uri) || !new URL(uri).hostname) report({ messageId: 'invalidUrl', data, at: tlsRpt.at });
          continue;
        }
        if (scheme !== undefined && scheme !== 'mailto') {
          report({ messageId: 'scheme', data, at: tlsRpt.at });
          continue;
        }
        const address = canonicalAddress(scheme ? uri.slice(uri.indexOf(':') + 1) : uri);
        const problem = addressProblem(address);
        if (problem) {
          report({ messageId: 'invalidAddress', data: { ...data, problem }, at: tlsRpt.at });
          continue;
        }
        const reportDomain = plan.domains.get(domainOf(address));
        if (reportDomain && (!isReceiving(reportDomain) || !plan.addresses.has(address))) {
          report({
            messageId: 'unknown',
            data: { ...data, address, reportDomain: reportDomain.display },
            at: tlsRpt.at,
          });
        }
      }
    }
  },
});
