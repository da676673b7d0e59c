import { MAX_AGE_LIMIT, policyHostName } from '../../tls/mta-sts.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mta-sts-policy-host',
    category: 'transport',
    description: 'A domain that publishes MTA-STS plans the web host that serves its policy, with an address.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 8461 §3.2', 'RFC 8461 §3.3'],
    rationale:
      'Senders fetch the policy from `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3). mxplan ' +
      'publishes `mta-sts.<domain>` with the addresses of the web host named by `mtaSts.host`, an entry of `web:`. ' +
      'Without one the `_mta-sts` TXT record announces a policy nobody can fetch: senders that have no cached copy ' +
      'deliver as if there were none, and the record only costs them a lookup and an HTTPS failure. Mode `none` ' +
      'needs the host too: it is how a policy is withdrawn (RFC 8461 §8.3). `max_age` is at most 31557600 seconds ' +
      '(RFC 8461 §3.2).',
    fix: 'Plan a web host under `web:` with its fqdn and addresses, and name it in `mtaSts.host`.',
    messages: {
      noHost:
        'domain {domain} publishes MTA-STS ({mode}) but names no web host to serve its policy at {policyHost} (mtaSts.host)',
      unknownHost: 'domain {domain}: mtaSts.host "{host}" is not a planned web host (web:)',
      noAddress:
        'web host {host} serves the MTA-STS policy of {domain} at {policyHost} but has no ipv4 or ipv6 address',
      maxAge: 'domain {domain}: MTA-STS max_age {maxAge} s is above the limit of {limit} s (RFC 8461 §3.2)',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const { mtaSts } = domain;
      if (!mtaSts) continue;
      const data = { domain: domain.display, mode: mtaSts.mode, policyHost: policyHostName(domain.name) };
      if (mtaSts.maxAge > MAX_AGE_LIMIT)
        report({ messageId: 'maxAge', data: { ...data, maxAge: mtaSts.maxAge, limit: MAX_AGE_LIMIT }, at: mtaSts.at });
      if (mtaSts.hostId === undefined) report({ messageId: 'noHost', data, at: mtaSts.at });
      else if (!mtaSts.host)
        report({
          messageId: 'unknownHost',
          data: { ...data, host: mtaSts.hostId },
          at: mtaSts.fields.host ?? mtaSts.at,
        });
      else if (mtaSts.host.ipv4.length + mtaSts.host.ipv6.length === 0)
        report({
          messageId: 'noAddress',
          data: { ...data, host: mtaSts.host.id },
          at: mtaSts.fields.host ?? mtaSts.at,
          related: [mtaSts.host.at],
        });
    }
  },
});
