/**
 * Internationalized addresses (RFC 6531, SMTPUTF8), decided in one place. A relay accepts them
 * end to end: a non-ASCII address only in a transaction whose MAIL FROM carried SMTPUTF8 (§3.4,
 * else 553 5.6.7, §3.5), and a message that needs SMTPUTF8 only to a next hop that offers it:
 * there is no downgrade (§3.2), the recipients bounce with 5.6.7 instead.
 *
 * A transaction needs SMTPUTF8 when its envelope does: the sender or a recipient is not ASCII.
 * (Header fields in UTF-8 with an ASCII envelope travel as 8-bit data, as Postfix sends them when
 * the sender did not ask for SMTPUTF8; the relays' client, smtp-client.ts, decides alike.)
 */

/** True when `address` has a character outside ASCII. */
export function isInternational(address: string): boolean {
  // eslint-disable-next-line no-control-regex -- the whole ASCII range is the point
  return /[^\x00-\x7f]/.test(address);
}

/** True when a transaction with this envelope needs SMTPUTF8. */
export function needsSmtpUtf8(from: string, recipients: readonly string[]): boolean {
  return isInternational(from) || recipients.some(isInternational);
}
