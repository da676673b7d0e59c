/**
 * The MTA-STS policy a domain of the plan publishes (RFC 8461): the policy file served at
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` (§3.2, §3.3), the id its `_mta-sts` TXT
 * record carries (§3.1), and the rule by which a sender matches an MX host against it (§4.1).
 *
 * The id. Senders fetch the policy again only when the TXT id changes (§3.1, §5.1), so an id
 * that stays the same across a policy change leaves every sender with the old policy for up to
 * max_age: in enforce mode, a new MX is refused for a week. Unless the topology writes one, the
 * id is therefore derived from the policy file itself (a digest), and changes exactly when the
 * policy does. A written id is the user's to change (`mxplan diff` flags a policy change under
 * an unchanged id).
 */
import { createHash } from 'node:crypto';
import type { Domain, MtaSts } from '../topology/types.js';

/** RFC 8461 §3.3: the policy's path on the policy host. */
export const POLICY_PATH = '/.well-known/mta-sts.txt';

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
export const MAX_AGE_LIMIT = 31_557_600;

/** RFC 8461 §3.3: the host that serves a domain's policy. */
export function policyHostName(domain: string): string {
  return `mta-sts.${domain}`;
}

/**
 * RFC 8461 §3.2: `version`, `mode`, one `mx` per pattern, `max_age`, each line ended by CRLF, in
 * the order of the RFC's own example. Mode `none` lists no mx (a policy being withdrawn, §8.3).
 */
export function policyText(mtaSts: MtaSts): string {
  const lines = [
    'version: STSv1',
    `mode: ${mtaSts.mode}`,
    ...(mtaSts.mode === 'none' ? [] : mtaSts.mx.map((pattern) => `mx: ${pattern}`)),
    `max_age: ${mtaSts.maxAge}`,
  ];
  return lines.map((line) => `${line}\r\n`).join('');
}

/**
 * The id of the `_mta-sts` TXT record (RFC 8461 §3.1: 1 to 32 alphanumerics): the written one,
 * else the first 20 hex digits (80 bits) of the SHA-256 of the policy file.
 */
export function policyId(mtaSts: MtaSts): string {
  return mtaSts.id ?? createHash('sha256').update(policyText(mtaSts)).digest('hex').slice(0, 20);
}

/**
 * RFC 8461 §4.1: an MX host matches a pattern when the names are equal, or when the pattern is
 * `*.` and a name, and the host is exactly one label more than that name ("*.example.com"
 * covers "mx.example.com", not "example.com" nor "a.mx.example.com"). Both canonical.
 */
export function mxMatches(pattern: string, exchange: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === exchange;
  const dot = exchange.indexOf('.');
  return dot > 0 && exchange.slice(dot + 1) === pattern.slice(2);
}

/** The MX exchanges of a domain that no pattern of its policy matches, in MX order. */
export function uncoveredMx(domain: Domain): string[] {
  const { mtaSts } = domain;
  if (!mtaSts) return [];
  const exchanges = [...new Set(domain.mx.map((m) => m.exchange))];
  return exchanges.filter((exchange) => !mtaSts.mx.some((pattern) => mxMatches(pattern, exchange)));
}
