import { addressProblem, dmarcReportAddresses, domainOf, isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dmarc-report-address-planned',
    category: 'dmarc',
    description:
      'DMARC report addresses (rua, ruf) are valid mailto: addresses, and planned addresses when they lie in a planned domain.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7489 §6.2', 'RFC 7489 §6.3', 'RFC 7489 §7.1'],
    rationale:
      'Receivers send aggregate (rua) and failure (ruf) reports by mail to the URIs in the record (RFC 7489 §6.2, §6.3). ' +
      "When the address lies in one of the plan's own domains, the plan decides whether it exists: mxplan refuses " +
      'unknown recipients, so every report bounces at the receiver, which may stop sending them, and the domain owner ' +
      'never learns who forges its mail. A value that is not an address cannot be used at all.',
    fix: 'Add the report address as a user or alias of its domain (e.g. `aliases: { dmarc: [admin] }`), or correct it.',
    messages: {
      invalid: 'domain {domain}: DMARC {tag} "{address}" {problem}',
      unknown:
        'domain {domain}: DMARC {tag} address {address} is not a planned address of {reportDomain}; reports to it bounce',
      nullMx:
        'domain {domain}: DMARC {tag} address {address} is in {reportDomain}, which has a null MX; reports cannot be delivered',
    },
  },
  check({ plan, report }) {
    for (const { domain, dmarc, tag, address } of dmarcReportAddresses(plan)) {
      const data = { domain: domain.display, tag, address };
      const problem = addressProblem(address);
      if (problem) {
        report({
          messageId: 'invalid',
          data: { ...data, problem: `${problem}; only mailto: addresses are planned` },
          at: dmarc.at,
        });
        continue;
      }
      const reportDomain = plan.domains.get(domainOf(address));
      if (!reportDomain) continue; // outside the plan: dmarc-report-external-authorized
      const withDomain = { ...data, reportDomain: reportDomain.display };
      if (!isReceiving(reportDomain))
        report({ messageId: 'nullMx', data: withDomain, at: dmarc.at, related: [reportDomain.at] });
      else if (!plan.addresses.has(address)) report({ messageId: 'unknown', data: withDomain, at: dmarc.at });
    }
  },
});
