import { addressProblem, dmarcReportAddresses, fateOf, unroutedWhere } from '../addresses.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dmarc-report-address-planned',
    category: 'dmarc',
    description:
      'DMARC report addresses (rua, ruf) are valid mailto: addresses, and planned addresses when they lie in a zone the plan serves.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7489 §6.2', 'RFC 7489 §6.3', 'RFC 7489 §7.1', 'RFC 5321 §5.1'],
    rationale:
      'Receivers send aggregate (rua) and failure (ruf) reports by mail to the URIs in the record (RFC 7489 §6.2, §6.3). ' +
      'When the address lies in a zone the plan serves, the plan decides whether it exists: mxplan refuses unknown ' +
      "recipients, and a name of that zone which is no mail domain has no MX in the plan's own DNS (RFC 5321 §5.1), so " +
      'every report bounces at the receiver, which may stop sending them, and the domain owner never learns who ' +
      'forges its mail. A value that is not an address cannot be used at all.',
    fix: 'Add the report address as a user or alias of its domain (e.g. `aliases: { dmarc: [admin] }`), or correct it.',
    messages: {
      invalid: 'domain {domain}: DMARC {tag} "{address}" {problem}',
      unknown:
        'domain {domain}: DMARC {tag} address {address} is not a planned address of {reportDomain}; reports to it bounce',
      nullMx:
        'domain {domain}: DMARC {tag} address {address} is in {reportDomain}, which has a null MX; reports cannot be delivered',
      unrouted:
        "domain {domain}: DMARC {tag} address {address} is in {where}: the plan's DNS gives it no MX, and reports bounce",
    },
  },
  check({ plan, report }) {
    for (const { domain, dmarc, tag, address } of dmarcReportAddresses(plan)) {
      const data = { domain: domain.display, tag, address };
      const problem = addressProblem(address, { published: true });
      if (problem) {
        report({
          messageId: 'invalid',
          data: { ...data, problem: `${problem}; only mailto: addresses are planned` },
          at: dmarc.at,
        });
        continue;
      }
      const fate = fateOf(plan, address);
      if (fate.kind === 'null-mx' || fate.kind === 'unknown')
        report({
          messageId: fate.kind === 'null-mx' ? 'nullMx' : 'unknown',
          data: { ...data, reportDomain: fate.domain.display },
          at: dmarc.at,
          related: [fate.domain.at],
        });
      else if (fate.kind === 'unrouted')
        report({ messageId: 'unrouted', data: { ...data, where: unroutedWhere(fate) }, at: dmarc.at });
    }
  },
});
