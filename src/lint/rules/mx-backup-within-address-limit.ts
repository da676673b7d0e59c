import { defineRule } from '../rule.js';
import type { Host } from '../../topology/types.js';

/** Postfix `smtp_mx_address_limit` (default 5): addresses a sender tries per delivery attempt. */
const SENDER_ADDRESS_LIMIT = 5;

export default defineRule({
  meta: {
    id: 'mx-backup-within-address-limit',
    category: 'mx',
    description:
      'At most 5 addresses rank before the first backup MX, so common senders reach it when the primaries are down.',
    severity: 'warning',
    sets: ['strict'],
    references: ['RFC 5321 §5.1', 'Postfix smtp_mx_address_limit'],
    rationale:
      'Senders do not try every address of every MX: Postfix stops after 5 addresses (smtp_mx_address_limit) and 2 ' +
      'sessions per delivery attempt, and other MTAs have similar caps. RFC 5321 §5.1 only asks them to try at least two. ' +
      'When the more preferred MX hosts hold more than 5 addresses between them (IPv4 and IPv6 both count), a sender ' +
      'whose attempts all fail never reaches the backup, which then protects nothing.',
    fix: 'Give the primary MX hosts fewer addresses, or move the backup to a preference that ranks within the first 5 addresses.',
    messages: {
      hidden:
        'domain {domain}: {addresses} addresses rank before backup MX {backup} (preference {preference}); senders that try at most 5 (Postfix smtp_mx_address_limit) never reach it',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const before = new Set<Host>();
      let addresses = 0;
      let level = domain.mx[0]?.preference;
      for (const mx of domain.mx) {
        if (mx.preference !== level) {
          // Entering a less preferred level: everything seen so far ranks before it.
          level = mx.preference;
          if (addresses > SENDER_ADDRESS_LIMIT && mx.host && !before.has(mx.host)) {
            report({
              messageId: 'hidden',
              data: { domain: domain.display, addresses, backup: mx.host.id, preference: mx.preference },
              at: mx.at,
            });
            break;
          }
        }
        if (mx.host && !before.has(mx.host)) {
          before.add(mx.host);
          addresses += mx.host.ipv4.length + mx.host.ipv6.length;
        }
      }
    }
  },
});
