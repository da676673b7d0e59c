/**
 * DKIM key records (RFC 6376 §3.6.1), published at `<selector>._domainkey.<domain>` (§3.6.2.1).
 */
import type { DkimSelector } from '../topology/types.js';

/** The owner name of a selector's record. */
export function dkimOwner(selector: DkimSelector): string {
  return `${selector.selector}._domainkey.${selector.domain}`;
}

/**
 * The record text: `v=DKIM1; k=<rsa|ed25519>; p=<public key>`, v first (§3.6.1: when present it
 * must be), k always named (Ed25519 must be, RFC 8463 §4.2; RSA is the default, named for the
 * reader). A removed selector publishes an empty p=: its key is revoked (§3.6.1). Undefined when
 * the plan knows no public key (its key file is missing): nothing is published.
 */
export function dkimText(selector: DkimSelector): string | undefined {
  if (selector.published === undefined) return undefined;
  return `v=DKIM1; k=${selector.type}; p=${selector.published}`;
}
