import { nameSyntaxProblem } from '../../topology/names.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'name-syntax-valid',
    category: 'addresses',
    description:
      'Domain, host, EHLO, name-server and zone names are valid host names: LDH labels of at most 63 octets, at most 253 characters.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 1035 §2.3.4', 'RFC 1123 §2.1', 'RFC 5321 §2.3.5', 'RFC 3696 §2'],
    rationale:
      'DNS limits a label to 63 octets and a name to 255 octets on the wire (253 characters in text, RFC 1035 §2.3.4). ' +
      'Names of hosts and mail domains are further limited to letters, digits and inner hyphens (RFC 1123 §2.1; ' +
      'RFC 5321 §2.3.5 requires them in SMTP). A name outside these rules cannot be written into a zone file (BIND ' +
      'refuses it with check-names), cannot be sent as an EHLO argument, or cannot appear in an address at all.',
    fix: 'Use letters, digits and inner hyphens only, labels of at most 63 characters and names of at most 253.',
    messages: {
      domain: 'domain {name} {problem}',
      hostFqdn: 'host {host}: fqdn {name} {problem}',
      hostHelo: 'host {host}: EHLO name {name} {problem}',
      nameServer: 'name server {name} {problem}',
      zone: 'zone {name} {problem}',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const problem = nameSyntaxProblem(domain.name);
      if (problem) report({ messageId: 'domain', data: { name: domain.display, problem }, at: domain.at });
    }
    for (const host of plan.hosts.values()) {
      const fqdnProblem = nameSyntaxProblem(host.fqdn);
      if (fqdnProblem)
        report({
          messageId: 'hostFqdn',
          data: { host: host.id, name: host.fqdn, problem: fqdnProblem },
          at: host.fields.fqdn ?? host.at,
        });
      const heloProblem = host.helo === host.fqdn ? undefined : nameSyntaxProblem(host.helo);
      if (heloProblem)
        report({
          messageId: 'hostHelo',
          data: { host: host.id, name: host.helo, problem: heloProblem },
          at: host.fields.helo ?? host.at,
        });
    }
    for (const ns of plan.nameservers) {
      const problem = nameSyntaxProblem(ns.name);
      if (problem) report({ messageId: 'nameServer', data: { name: ns.name, problem }, at: ns.at });
    }
    for (const zone of plan.zones) {
      const problem = nameSyntaxProblem(zone.name);
      if (problem) report({ messageId: 'zone', data: { name: zone.name, problem }, at: zone.at });
    }
  },
});
