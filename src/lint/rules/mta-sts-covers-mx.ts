import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mta-sts-covers-mx',
    category: 'transport',
    description: 'A domain that publishes MTA-STS lists every MX host, backups included, in its policy file.',
    severity: 'info',
    sets: ['recommended'],
    references: ['RFC 8461 §3.2', 'RFC 8461 §4.1', 'RFC 8461 §5'],
    rationale:
      'mxplan publishes the `_mta-sts` TXT record; the policy file itself is served over HTTPS at ' +
      '`https://mta-sts.<domain>/.well-known/mta-sts.txt` by whoever runs that web server. In enforce mode, senders ' +
      'deliver only to MX hosts that match an `mx:` line of the policy and present a valid certificate for that name ' +
      '(RFC 8461 §4.1, §5). A backup MX left out of the policy receives nothing while the primary is down, which is ' +
      'exactly when it is needed. A domain with a null MX or no MX records has nothing for a policy to cover.',
    fix: 'Serve a policy with one `mx:` line per MX host named in the message, and a certificate for each name on that host.',
    messages: {
      policyLines:
        'domain {domain} publishes MTA-STS ({mode}): its policy must list {lines}, and each host must present a certificate for its name',
      noMx: 'domain {domain} publishes MTA-STS ({mode}) but has no MX records for a policy to cover',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { mtaSts } = domain;
      if (!mtaSts || mtaSts.mode === 'none') continue;
      const names = [...new Set(domain.mx.filter((m) => m.host).map((m) => m.exchange))];
      const data = { domain: domain.display, mode: mtaSts.mode };
      if (names.length === 0) report({ messageId: 'noMx', data, at: mtaSts.at });
      else
        report({
          messageId: 'policyLines',
          data: { ...data, lines: names.map((n) => `"mx: ${n}"`).join(', ') },
          at: mtaSts.at,
        });
    }
  },
});
