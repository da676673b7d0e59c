/**
 * The routing decision: one pure function of (plan, host, recipient). The relay uses it at RCPT
 * time to accept or reject, and after DATA to decide where each recipient goes. `mxplan verify`
 * computes its expectations independently and never calls this.
 *
 * Address classes follow Postfix (ADDRESS_CLASS_README): a host accepts a planned domain when it
 * is one of the domain's MX hosts or stores some of its mailboxes; everything else is relaying and
 * is refused (RFC 5321 §3.6.2: never an open relay).
 */
import { splitAddress } from '../topology/names.js';
import type { Domain, Plan } from '../topology/types.js';
import { REPLIES, type SmtpReply } from './replies.js';

/**
 * Who presented the recipient:
 * - `inbound`: an SMTP client, at RCPT time: relaying rules apply;
 * - `internal`: this host itself (an alias member, the sender of a DSN): relaying out is allowed.
 */
export type RouteOrigin = 'inbound' | 'internal';

export type RouteDecision =
  /** The mailbox lives here: write it to the Maildir. */
  | { readonly kind: 'deliver-local'; readonly address: string }
  /** The mailbox lives on another planned host: the organisation's transport map sends it there. */
  | { readonly kind: 'forward'; readonly address: string; readonly hostId: string }
  /** Deliver through the domain's MX records (a backup relay, or a domain outside the plan). */
  | { readonly kind: 'relay-to-mx'; readonly address: string; readonly domain: string }
  /** An alias: route each member on its own. */
  | { readonly kind: 'expand'; readonly address: string; readonly members: readonly string[] }
  | { readonly kind: 'reject'; readonly address: string; readonly reply: SmtpReply };

export function route(plan: Plan, hostId: string, recipient: string, origin: RouteOrigin = 'inbound'): RouteDecision {
  const host = plan.hosts.get(hostId);
  if (!host) throw new Error(`route: host "${hostId}" is not in the plan`);
  const parts = splitAddress(recipient);
  if (!parts) return { kind: 'reject', address: recipient, reply: REPLIES.badAddress(recipient) };
  const address = `${parts.local}@${parts.domain}`;
  const domain = plan.domains.get(parts.domain);

  if (!domain) {
    if (origin === 'inbound') return { kind: 'reject', address, reply: REPLIES.relayDenied(address) };
    return { kind: 'relay-to-mx', address, domain: parts.domain };
  }
  if (domain.nullMx) return { kind: 'reject', address, reply: REPLIES.nullMxRecipient(address) };
  if (origin === 'inbound' && !servesDomain(domain, hostId)) {
    return { kind: 'reject', address, reply: REPLIES.relayDenied(address) };
  }

  const planned = plan.addresses.get(address);
  // RFC 5321 §3.3 / Postfix smtpd_reject_unlisted_recipient: unknown users are refused at RCPT
  // on every MX, backups included, so no host accepts mail it would later bounce (backscatter).
  if (!planned) return { kind: 'reject', address, reply: REPLIES.unknownUser(address) };

  if (planned.kind === 'user' && planned.user.homeId === hostId) return { kind: 'deliver-local', address };
  // A relay-only host holds no mailboxes and no transport map: it hands the mail, unexpanded, to
  // the domain's MX (RFC 5321 §5.1). Next-hop selection discards itself and every MX at or above
  // its preference; a relay that is the best MX has nowhere to go, and the mail bounces as
  // looping back to itself, a plan error lint reports as mx-primary-store.
  if (host.role === 'relay') return { kind: 'relay-to-mx', address, domain: domain.name };
  if (planned.kind === 'alias') {
    return { kind: 'expand', address, members: planned.alias.members.map((m) => m.address) };
  }
  const { user } = planned;
  if (!user.home) return { kind: 'reject', address, reply: REPLIES.noHomeHost(address, user.homeId) };
  return { kind: 'forward', address, hostId: user.home.id };
}

/** Whether the host is one of the domain's MX hosts or the home of one of its mailboxes. */
export function servesDomain(domain: Domain, hostId: string): boolean {
  // Called at every RCPT: one set lookup, not a walk over the domain's users.
  return domain.homeIds.has(hostId) || domain.mx.some((m) => m.host?.id === hostId);
}
