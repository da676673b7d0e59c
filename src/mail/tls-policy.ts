/**
 * What TLS a relay asks of the next hop, decided from the plan (what a Postfix of the plan would
 * get from smtp_tls_policy_maps for the planned domains):
 *
 * - an MX of a planned domain whose MTA-STS policy is `enforce`: only the MX hosts that the
 *   policy matches (RFC 8461 §4.1), each over TLS with a certificate valid for its name (§4.2),
 *   never in plain text (§5);
 * - anything else (a planned host, an MX in testing mode or of a domain outside the plan):
 *   opportunistic TLS (RFC 7435).
 *
 * Domains outside the plan publish their own policies, which a relay would have to fetch; the
 * sandbox's relays deliver there opportunistically.
 */
import type { NextHop } from '../routing/destination.js';
import { mxMatches } from '../tls/mta-sts.js';
import type { Plan } from '../topology/types.js';
import { REPLIES, type SmtpReply } from './replies.js';
import type { TlsRequirement } from './smtp-client.js';

export type ExchangeSecurity = { readonly tls: TlsRequirement } | { readonly refused: SmtpReply };

export function exchangeSecurity(plan: Plan, hop: NextHop, exchange: string): ExchangeSecurity {
  const mtaSts = hop.kind === 'mx' ? plan.domains.get(hop.domain)?.mtaSts : undefined;
  if (hop.kind !== 'mx' || mtaSts?.mode !== 'enforce') return { tls: { level: 'may', servername: exchange } };
  if (!mtaSts.mx.some((pattern) => mxMatches(pattern, exchange)))
    return { refused: REPLIES.notInStsPolicy(exchange, hop.domain) };
  return { tls: { level: 'verify', servername: exchange } };
}
