import { domainOf, isReceiving } from '../facts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'soa-contact-deliverable',
    category: 'dns',
    description: 'The SOA contact, when it lies in a planned domain, is a planned address there.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1035 §3.3.13', 'RFC 1912 §2.2', 'RFC 2142 §5'],
    rationale:
      'The SOA RNAME is the mailbox of the person responsible for the zones (RFC 1035 §3.3.13); other operators write ' +
      'there about broken delegations and lame servers, conventionally to hostmaster@ (RFC 2142 §5). When it lies in ' +
      "one of the plan's own domains, the plan decides whether it exists: mxplan refuses unknown recipients, so a " +
      'contact that is not planned bounces every such report.',
    fix: 'Add the contact as a user or alias of its domain (e.g. `aliases: { hostmaster: [admin] }`), or use an address that exists.',
    messages: {
      unknown: 'SOA contact {contact} is not a planned address of {domain}; mail about the zones bounces',
      nullMx: 'SOA contact {contact} is in {domain}, which has a null MX; mail about the zones cannot be delivered',
    },
  },
  check({ plan, report }) {
    const domain = plan.domains.get(domainOf(plan.soa.contact));
    if (!domain) return; // outside the plan: not ours to know
    const data = { contact: plan.soa.contact, domain: domain.display };
    if (!isReceiving(domain)) report({ messageId: 'nullMx', data, at: plan.soa.at, related: [domain.at] });
    else if (!plan.addresses.has(plan.soa.contact)) report({ messageId: 'unknown', data, at: plan.soa.at });
  },
});
