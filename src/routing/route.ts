/**
 * The routing decision for one recipient at one host, read from the host's policy (policy.ts).
 * The relay uses it at RCPT time to accept or refuse, and after DATA to decide where each
 * recipient goes. `mxplan verify` computes its expectations independently and never calls this.
 *
 * A host accepts a planned domain from a client only in a role the policy gives it (final
 * destination or backup); everything else is relaying and is refused (RFC 5321 §3.6.2: never an
 * open relay).
 */
import { localPartProblem, splitAddress } from '../topology/names.js';
import type { Destination } from './destination.js';
import { aliasMembers } from './aliases.js';
import type { HostPolicy } from './policy.js';

/**
 * Who presented the recipient:
 * - `inbound`: an SMTP client, at RCPT time: relaying rules apply;
 * - `internal`: this host itself (an alias member, the sender of a DSN): relaying out is allowed.
 */
export type RouteOrigin = 'inbound' | 'internal';

/** Why a recipient is refused, in the plan's terms; mail/replies.ts words the SMTP reply. */
export type Refusal =
  | { readonly reason: 'bad-address' | 'relay-denied' | 'null-mx' | 'unknown-user' }
  /** The plan homes the user on a host it does not have: a configuration error, so temporary. */
  | { readonly reason: 'no-home-host'; readonly homeId: string };

export type RouteDecision =
  /** Accepted: the address goes to `to` as it is. */
  | { readonly kind: 'deliver'; readonly address: string; readonly to: Destination }
  /** An alias: each member (already fully expanded) is routed on its own. */
  | { readonly kind: 'expand'; readonly address: string; readonly members: readonly string[] }
  | { readonly kind: 'refuse'; readonly address: string; readonly refusal: Refusal };

const BAD_ADDRESS: Refusal = { reason: 'bad-address' };
const RELAY_DENIED: Refusal = { reason: 'relay-denied' };
const NULL_MX: Refusal = { reason: 'null-mx' };
const UNKNOWN_USER: Refusal = { reason: 'unknown-user' };

export function route(policy: HostPolicy, recipient: string, origin: RouteOrigin = 'inbound'): RouteDecision {
  const parts = mailbox(policy, recipient);
  if (!parts) return refuse(recipient, BAD_ADDRESS);
  const address = `${parts.local}@${parts.domain}`;
  const { plan, host } = policy;
  const domain = plan.domains.get(parts.domain);

  if (!domain)
    return origin === 'inbound' ? refuse(address, RELAY_DENIED) : deliver(address, policy.toMx(parts.domain));
  if (domain.nullMx) return refuse(address, NULL_MX);
  if (origin === 'inbound' && !policy.domainRole(domain)) return refuse(address, RELAY_DENIED);

  const planned = plan.addresses.get(address);
  // RFC 5321 §3.3 / Postfix smtpd_reject_unlisted_recipient: unknown users are refused at RCPT
  // on every MX, backups included, so no host accepts mail it would later bounce (backscatter).
  if (!planned) return refuse(address, UNKNOWN_USER);
  // A relay-only host holds no mailboxes and no transport map: it hands the mail, unexpanded, to
  // the domain's MX (RFC 5321 §5.1), even for a user the plan homes on it (lint: user-home-store).
  // Next-hop selection discards itself and every MX at or above its preference; a relay that is
  // the best MX has nowhere to go, and the mail bounces as looping back to itself, a plan error
  // lint reports as mx-primary-store.
  if (host.role === 'relay') return deliver(address, policy.toMx(domain.name));
  if (planned.kind === 'alias') return { kind: 'expand', address, members: aliasMembers(plan, planned.alias) };
  const to = policy.userDestination(planned.user);
  return to ? deliver(address, to) : refuse(address, { reason: 'no-home-host', homeId: planned.user.homeId });
}

/**
 * The mailbox a client names, in the plan's terms:
 * - RFC 5321 §4.1.2: a quoted local part is the same local part unquoted when that is a
 *   dot-atom (`"ada"@x` is `ada@x`), and is sent on as a dot-atom;
 * - §4.5.1: a bare `postmaster` (any case) is the postmaster of the domain this host serves first.
 */
function mailbox(policy: HostPolicy, recipient: string): { local: string; domain: string } | undefined {
  const parts = splitAddress(recipient);
  if (!parts) {
    const domain = policy.postmasterDomain;
    return /^\s*postmaster\s*$/i.test(recipient) && domain ? { local: 'postmaster', domain } : undefined;
  }
  if (!parts.local.startsWith('"')) return parts;
  const unquoted = /^"((?:[^"\\]|\\.)*)"$/.exec(parts.local)?.[1]?.replace(/\\(.)/g, '$1');
  return unquoted !== undefined && localPartProblem(unquoted) === undefined ? { ...parts, local: unquoted } : parts;
}

function deliver(address: string, to: Destination): RouteDecision {
  return { kind: 'deliver', address, to };
}

function refuse(address: string, refusal: Refusal): RouteDecision {
  return { kind: 'refuse', address, refusal };
}
