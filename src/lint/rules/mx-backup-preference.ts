import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'mx-backup-preference',
    category: 'mx',
    description: 'Backup MX hosts are strictly less preferred than the primary.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §5.1', 'RFC 974'],
    rationale:
      'Senders MUST randomise among MX records of equal preference (RFC 5321 §5.1), so a relay-only backup that ' +
      "shares the primary's preference receives a share of all mail in normal operation, adding a hop and a queue " +
      'to it, and it cannot prune the primary from its own MX list (it discards every MX at or above its own preference).',
    fix: 'Give every relay-only backup a larger preference value than the best store that receives for the domain.',
    messages: {
      samePreference:
        'domain {domain}: backup MX {backup} has the same preference ({preference}) as primary {primary}; senders will share mail between them',
      morePreferred:
        'domain {domain}: backup MX {backup} (preference {preference}) is preferred over primary {primary} ({primaryPreference})',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const primary = domain.mx.find((m) => m.host?.role === 'store');
      if (!primary) continue; // mx-primary-store reports a domain whose MX set holds no store
      for (const mx of domain.mx) {
        if (mx.host?.role !== 'relay') continue;
        const data = {
          domain: domain.display,
          backup: mx.host.id,
          preference: mx.preference,
          primary: primary.host!.id,
          primaryPreference: primary.preference,
        };
        if (mx.preference === primary.preference)
          report({ messageId: 'samePreference', data, at: mx.at, related: [primary.at] });
        else if (mx.preference < primary.preference)
          report({ messageId: 'morePreferred', data, at: mx.at, related: [primary.at] });
      }
    }
  },
});
