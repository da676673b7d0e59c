/**
 * DMARC policy records (RFC 7489 §6.3), published at `_dmarc.<domain>` (RFC 7489 §6.1).
 */
import type { Dmarc, Domain } from '../topology/types.js';

/**
 * What a null-MX domain publishes when the topology plans no DMARC of its own: RFC 7505 §4.2 says
 * such a domain should not appear as a sender, and `p=reject` asks receivers to refuse any mail
 * that claims it (together with the `v=spf1 -all` it also gets).
 */
export const NULL_MX_DMARC = 'v=DMARC1; p=reject';

/**
 * The record text, tags in one fixed order: v (RFC 7489 §6.3: it must come first), p (next, as
 * the §6.4 grammar has it), then sp, pct, rua, ruf, each only when planned. Report addresses become
 * mailto: URIs (RFC 7489 §6.2), several joined by commas.
 */
export function dmarcText(dmarc: Dmarc): string {
  const tags = [`v=DMARC1`, `p=${dmarc.policy}`];
  if (dmarc.subdomainPolicy !== undefined) tags.push(`sp=${dmarc.subdomainPolicy}`);
  if (dmarc.pct !== undefined) tags.push(`pct=${dmarc.pct}`);
  if (dmarc.rua.length > 0) tags.push(`rua=${dmarc.rua.map(mailto).join(',')}`);
  if (dmarc.ruf.length > 0) tags.push(`ruf=${dmarc.ruf.map(mailto).join(',')}`);
  return tags.join('; ');
}

function mailto(address: string): string {
  return `mailto:${address}`;
}

/** The DMARC record a domain publishes: its own policy, else p=reject for a null-MX domain, else none. */
export function domainDmarc(domain: Domain): string | undefined {
  return domain.dmarc ? dmarcText(domain.dmarc) : domain.nullMx ? NULL_MX_DMARC : undefined;
}
