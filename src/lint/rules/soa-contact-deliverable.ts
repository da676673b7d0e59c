import { addressProblem, fateOf, unroutedWhere } from '../addresses.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'soa-contact-deliverable',
    category: 'dns',
    description: 'The SOA contact, when it lies in a zone the plan serves, is a planned address.',
    severity: 'warning',
    sets: ['recommended'],
    references: ['RFC 1035 §3.3.13', 'RFC 1912 §2.2', 'RFC 2142 §5', 'RFC 5321 §5.1'],
    rationale:
      'The SOA RNAME is the mailbox of the person responsible for the zones (RFC 1035 §3.3.13); other operators write ' +
      'there about broken delegations and lame servers, conventionally to hostmaster@ (RFC 2142 §5). When it lies in ' +
      'a zone the plan serves, the plan decides whether it exists: mxplan refuses unknown recipients, so a contact ' +
      'that is not planned bounces every such report, and one in an infrastructure zone (hostmaster@infra.example) ' +
      "has no MX in the plan's own DNS and bounces as well (RFC 5321 §5.1).",
    fix: 'Add the contact as a user or alias of its domain (e.g. `aliases: { hostmaster: [admin] }`), or use an address that exists.',
    messages: {
      unknown: 'SOA contact {contact} is not a planned address of {domain}; mail about the zones bounces',
      nullMx: 'SOA contact {contact} is in {domain}, which has a null MX; mail about the zones cannot be delivered',
      unrouted: "SOA contact {contact} is in {where}: the plan's DNS gives it no MX, and mail about the zones bounces",
    },
  },
  check({ plan, report }) {
    const { contact, at } = plan.soa;
    if (addressProblem(contact, { published: true })) return; // address-syntax-valid
    const fate = fateOf(plan, contact);
    if (fate.kind === 'null-mx')
      report({ messageId: 'nullMx', data: { contact, domain: fate.domain.display }, at, related: [fate.domain.at] });
    else if (fate.kind === 'unknown')
      report({ messageId: 'unknown', data: { contact, domain: fate.domain.display }, at, related: [fate.domain.at] });
    else if (fate.kind === 'unrouted')
      report({ messageId: 'unrouted', data: { contact, where: unroutedWhere(fate) }, at });
  },
});
