import { mxHosts } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-has-backup',
    category: 'mx',
    description: 'Every receiving domain has MX records on at least two different hosts.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 5321 §4.5.4.1'],
    rationale:
      'With one MX host, its outage leaves senders nowhere to deliver: they queue the mail for as long as they care to ' +
      '(RFC 5321 §4.5.4.1 suggests 4-5 days, many give up sooner) and then bounce it, and the organisation cannot see ' +
      'or shorten that delay. A second MX on another host (a backup relay, or another store) takes the mail and keeps ' +
      'it in a queue the organisation controls until the primary returns. RFC 5321 §5.1 expects senders to try at least two.',
    fix: 'Add a second MX record, with a larger preference, naming another planned host (a relay-only backup or another store).',
    messages: {
      single:
        "domain {domain}: every MX record names {host}; while it is down, senders can only queue or bounce the domain's mail",
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      // Unplanned targets are reported by mx-target-planned; they may have been meant as the backup.
      if (domain.mx.length === 0 || domain.mx.some((m) => !m.host)) continue;
      const hosts = mxHosts(domain);
      if (hosts.length === 1)
        report({
          messageId: 'single',
          data: { domain: domain.display, host: hosts[0]!.id },
          at: domain.fields.mx ?? domain.at,
        });
    }
  },
});
