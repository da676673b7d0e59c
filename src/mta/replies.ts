/**
 * The relays' replies (src/mail/replies.ts), worded for Postfix, so a Postfix host refuses with
 * the same code, enhanced code and text as mxplan's relay for the same host.
 *
 * Postfix words an access-map refusal itself: `<address>: Recipient address rejected: <text>`
 * (smtpd_check.c), so the map holds only the code, the enhanced code and the text after that
 * prefix; the relays' replies are written in the same shape.
 */
import type { SmtpReply } from '../mail/replies.js';

/**
 * An access(5) action for the addresses of `domain`: "550 5.7.27 Domain parked.example does not
 * accept mail (nullMX)". Postfix rewrites an enhanced code X.1.Y outside 1..8 to X.1.0 in an
 * access-map reply (smtpd_dsn_fix.c), so such a reply cannot come from a map.
 */
export function accessAction(
  reply: (address: string) => SmtpReply,
  kind: 'Recipient' | 'Sender',
  domain = 'mxplan.invalid',
): string {
  const probe = `probe@${domain}`;
  const { code, enhanced, text } = reply(probe);
  if (/^\d\.1\.(?![1-8]$)/.test(enhanced)) throw new Error(`mta: Postfix would send ${enhanced} from a map as X.1.0`);
  return `${code} ${enhanced} ${tail(text, `<${probe}>: ${kind} address rejected: `)}`;
}

/** A transport(5) entry that bounces at once, as the relays bounce a member they refuse: "error:5.1.1 User unknown". */
export function bounceTransport(reply: (address: string) => SmtpReply, domain = 'mxplan.invalid'): string {
  const probe = `probe@${domain}`;
  const { enhanced, text } = reply(probe);
  return `error:${enhanced} ${tail(text, `<${probe}>: Recipient address rejected: `)}`;
}

function tail(text: string, prefix: string): string {
  // The shape is the relays' contract with Postfix: a reply reworded elsewhere must fail loudly here.
  if (!text.startsWith(prefix)) throw new Error(`mta: reply "${text}" does not start with "${prefix}"`);
  return text.slice(prefix.length);
}
