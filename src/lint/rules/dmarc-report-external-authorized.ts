import { isInZone } from '../../topology/names.js';
import { addressProblem, dmarcReportAddresses, fateOf } from '../addresses.js';
import { domainOf } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dmarc-report-external-authorized',
    category: 'dmarc',
    description:
      "A DMARC report address outside the zones the plan serves is authorised by its own domain's `_report._dmarc` record.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 7489 §7.1'],
    rationale:
      'Before sending reports to an address in another organisation, receivers look up ' +
      '`<policy-domain>._report._dmarc.<report-domain>` and send nothing unless it holds a `v=DMARC1` record ' +
      '(RFC 7489 §7.1); this stops anyone from flooding a stranger with reports. In a zone the plan serves, mxplan ' +
      'publishes that record itself; it cannot in a domain it does not manage, so the report service has to. Addresses in the same domain or one of its parents or ' +
      'children are treated as the same organisation (an approximation of the Public Suffix List rule).',
    fix: 'Ask the report service to publish the authorisation record named in the message (most services do it when you register the domain).',
    messages: {
      external:
        'domain {domain}: DMARC {tag} address {address} lies outside the plan; reports are sent only if {record} TXT "v=DMARC1" exists',
    },
  },
  check({ plan, report }) {
    for (const { domain, dmarc, tag, address } of dmarcReportAddresses(plan)) {
      if (addressProblem(address, { published: true })) continue; // dmarc-report-address-planned
      // In a zone the plan serves, the zone writer publishes the authorisation (and dmarc-report-address-planned
      // says whether the address exists).
      if (fateOf(plan, address).kind !== 'outside') continue;
      const reportDomain = domainOf(address);
      if (isInZone(reportDomain, domain.name) || isInZone(domain.name, reportDomain)) continue;
      const data = { domain: domain.display, tag, address, record: `${domain.name}._report._dmarc.${reportDomain}` };
      report({ messageId: 'external', data, at: dmarc.at });
    }
  },
});
