import { activeSelectors } from '../../topology/dkim.js';
import { hasAddress, isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

const ENFORCING = new Set(['reject', 'quarantine']);

export default defineRule({
  meta: {
    id: 'dmarc-alignment-possible',
    category: 'dmarc',
    description:
      'Under a DMARC policy of reject or quarantine, every host the domain sends from can pass SPF or DKIM aligned.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7489 §3.1', 'RFC 7489 §6.6.2', 'RFC 7208 §2.4', 'RFC 6376 §3.1'],
    rationale:
      'DMARC passes when SPF passes for a MAIL FROM in the From domain, or DKIM passes with d= the From domain (RFC 7489 ' +
      "§3.1). mxplan's SPF record lists the domain's senders; its DKIM selectors are signed with by the hosts they name. " +
      'A host that the domain mail leaves from and that is in neither (a home host left out of an explicit `senders`, ' +
      'a sender without an address, with no selector either) sends mail that fails DMARC everywhere, and under p=reject ' +
      '(or quarantine) receivers refuse it (or file it as spam) (RFC 7489 §6.6.2).',
    fix: 'Let the host sign with a DKIM selector of the domain, or add it to `senders` so that SPF authorises it.',
    messages: {
      unaligned:
        'domain {domain} publishes DMARC p={policy}, but mail from {host} can align neither SPF ({spf}) nor DKIM (it signs with no selector): receivers {fate} it',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const policy = domain.dmarc?.policy.toLowerCase();
      if (!policy || !ENFORCING.has(policy) || !isReceiving(domain)) continue;
      for (const host of domain.outbound) {
        const inSpf = domain.senders.includes(host) && hasAddress(host);
        if (inSpf || activeSelectors(domain, host.id).length > 0) continue;
        report({
          messageId: 'unaligned',
          data: {
            domain: domain.display,
            policy,
            host: host.id,
            spf: hasAddress(host) ? 'not among its senders' : 'it has no address',
            fate: policy === 'reject' ? 'reject' : 'quarantine',
          },
          at: domain.dmarc!.at,
          related: [host.at],
        });
      }
    }
  },
});
