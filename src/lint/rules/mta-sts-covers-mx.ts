import { uncoveredMx } from '../../tls/mta-sts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mta-sts-covers-mx',
    category: 'transport',
    description: 'The MTA-STS policy of a domain matches every MX host, backups included.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 8461 §3.2', 'RFC 8461 §4.1', 'RFC 8461 §5'],
    rationale:
      'mxplan writes the policy file (`mxplan mta-sts`) with one `mx:` line per MX host, unless the topology gives ' +
      'its own patterns in `mtaSts.mx`. In enforce mode senders deliver only to MX hosts that match a pattern of the ' +
      'policy and present a valid certificate for that name (RFC 8461 §4.1, §5); in testing mode they deliver anyway ' +
      'and report the failure. A pattern `*.example.com` covers exactly one label: `mx.example.com`, not ' +
      '`a.mx.example.com` nor `example.com`. A backup MX outside the policy receives nothing while the primary is ' +
      'down, which is exactly when it is needed. A domain with a null MX or no MX records has nothing for a policy to ' +
      'cover.',
    fix: 'Add a pattern for each MX host named in the message to `mtaSts.mx`, or remove `mtaSts.mx` so that mxplan lists every MX host.',
    messages: {
      uncovered:
        'domain {domain} publishes MTA-STS ({mode}) but no pattern of its policy ({patterns}) matches MX {exchanges}; senders in enforce mode refuse to deliver there',
      noMx: 'domain {domain} publishes MTA-STS ({mode}) but has no MX records for a policy to cover',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { mtaSts } = domain;
      if (!mtaSts || mtaSts.mode === 'none') continue;
      const data = { domain: domain.display, mode: mtaSts.mode };
      if (domain.mx.length === 0) {
        report({ messageId: 'noMx', data, at: mtaSts.at });
        continue;
      }
      const uncovered = uncoveredMx(domain);
      if (uncovered.length > 0)
        report({
          messageId: 'uncovered',
          data: { ...data, patterns: mtaSts.mx.join(', '), exchanges: uncovered.join(', ') },
          at: mtaSts.fields.mx ?? mtaSts.at,
        });
    }
  },
});
