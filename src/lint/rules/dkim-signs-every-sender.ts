import { activeSelectors } from '../../topology/dkim.js';
import { didYouMean } from '../../topology/did-you-mean.js';
import { isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'dkim-signs-every-sender',
    category: 'dkim',
    description:
      "Every host a DKIM domain's mail leaves from signs it with an active selector, and selectors name planned hosts.",
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 7489 §3.1.1', 'RFC 6376 §3.1'],
    rationale:
      "DMARC passes when SPF or DKIM passes for the From domain (RFC 7489 §3.1). A domain's mail leaves from its senders " +
      'and from the home hosts of its users; a host among them that signs with no selector sends mail that cannot align ' +
      'DKIM, so it rests on SPF alone, which breaks as soon as the mail is forwarded. A selector is signed with by the ' +
      'hosts its `hosts` lists (by default every host the mail leaves from); one that names no planned host signs nothing.',
    fix: "Add the host to a selector's `hosts`, or leave `hosts` out so that every sending host signs.",
    messages: {
      unsigned:
        "domain {domain}: {host} sends the domain's mail but signs it with no active selector; that mail cannot align DKIM",
      unknown: 'domain {domain}: selector {selector} names "{host}", which is not a planned host{hint}',
    },
  },
  check({ plan, report }) {
    const ids = [...plan.hosts.keys()];
    for (const domain of plan.domains.values()) {
      if (domain.dkim.length === 0 || !isReceiving(domain)) continue;
      for (const selector of domain.dkim)
        for (const { raw, at } of selector.unknownSigners)
          report({
            messageId: 'unknown',
            data: { domain: domain.display, selector: selector.selector, host: raw, hint: didYouMean(raw, ids) },
            at,
          });
      for (const host of domain.outbound)
        if (activeSelectors(domain, host.id).length === 0)
          report({
            messageId: 'unsigned',
            data: { domain: domain.display, host: host.id },
            at: domain.fields.dkim ?? domain.dkim[0]!.at,
            related: [host.at],
          });
    }
  },
});
