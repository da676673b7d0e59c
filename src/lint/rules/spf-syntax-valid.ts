import { familyOf } from '../../topology/ip.js';
import { nameSyntaxProblem } from '../../topology/names.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'spf-syntax-valid',
    category: 'spf',
    description:
      'SPF include names are domain names, and `spf.ip4` / `spf.ip6` entries are addresses or networks of their family.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 7208 §12', 'RFC 7208 §5.2', 'RFC 7208 §5.6', 'RFC 7208 §2.6.7'],
    rationale:
      'An SPF record with a syntax error is a permerror for every message checked against it (RFC 7208 §2.6.7): none of ' +
      "the domain's mail passes SPF, and under a DMARC policy of quarantine or reject, mail without a DKIM pass is " +
      'junked or refused. `ip4:` takes an IPv4 address or network, `ip6:` an IPv6 one (RFC 7208 §5.6, prefix at most ' +
      '32 or 128), and `include:` a domain name (RFC 7208 §5.2).',
    fix: 'Write include names as domain names (`_spf.provider.example`), and ip4/ip6 entries as an address or address/prefix of that family.',
    messages: {
      include: 'domain {domain}: SPF include "{include}" {problem}',
      ip4: 'domain {domain}: spf.ip4 entry "{value}" is not an IPv4 address or network',
      ip6: 'domain {domain}: spf.ip6 entry "{value}" is not an IPv6 address or network',
    },
  },
  check({ plan, report }) {
    for (const domain of plan.domains.values()) {
      const at = domain.spf.at ?? domain.at;
      for (const include of domain.spf.include) {
        if (include.includes('%{')) continue; // an RFC 7208 §7 macro: expanded per message, not checkable here
        const problem = nameSyntaxProblem(include, { hostname: false });
        if (problem) report({ messageId: 'include', data: { domain: domain.display, include, problem }, at });
      }
      for (const [family, messageId, values] of [
        [4, 'ip4', domain.spf.ip4],
        [6, 'ip6', domain.spf.ip6],
      ] as const) {
        for (const value of values) {
          if (!isNetworkOf(value, family)) report({ messageId, data: { domain: domain.display, value }, at });
        }
      }
    }
  },
});

/** `address` or `address/prefix` of the family, prefix within its bit length (RFC 7208 §5.6). */
function isNetworkOf(text: string, family: 4 | 6): boolean {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  if (rest.length > 0 || familyOf(address) !== family) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
