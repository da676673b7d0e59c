/**
 * SMTP transport-security records: the MTA-STS policy indicator (RFC 8461 §3.1) at
 * `_mta-sts.<domain>` and the TLS reporting policy (RFC 8460 §3) at `_smtp._tls.<domain>`.
 */
import { policyId } from '../tls/mta-sts.js';
import type { MtaSts, TlsRpt } from '../topology/types.js';

/** RFC 8461 §3.1: `v=STSv1; id=<id>`; a new id tells senders to fetch the policy again. */
export function mtaStsText(mtaSts: MtaSts): string {
  return `v=STSv1; id=${policyId(mtaSts)}`;
}

/**
 * RFC 8460 §3: `v=TLSRPTv1; rua=<uri>[,<uri>]`. A bare address is written as a mailto: URI,
 * since the rua tag takes URIs only.
 */
export function tlsRptText(tlsRpt: TlsRpt): string {
  const uris = tlsRpt.rua.map((uri) => (/^[a-z][a-z0-9+.-]*:/i.test(uri) ? uri : `mailto:${uri}`));
  return `v=TLSRPTv1; rua=${uris.join(',')}`;
}
