/**
 * The submission port of a store (RFC 6409): its own users, logged in with AUTH PLAIN over
 * STARTTLS (server.ts enforces both), send to any domain. What they send is a local submission
 * (accept.ts acceptSubmission: routed as this host's own mail and DKIM-signed), stamped with the
 * client and ESMTPSA. As Postfix's submission service with smtpd_relay_restrictions =
 * permit_sasl_authenticated, reject and reject_sender_login_mismatch:
 *
 * - MAIL FROM must be the logged-in user's own address, or an alias whose members include it
 *   (553 5.7.1); the null reverse-path is taken (a client's own DSN or MDN);
 * - RCPT TO may name any domain; a recipient in a plan's domain that the plan does not know, or
 *   in a null-MX domain, is refused as on port 25, so nothing is accepted only to bounce.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { aliasMembers } from '../routing/aliases.js';
import { route } from '../routing/route.js';
import { canonicalAddress, splitAddress } from '../topology/names.js';
import type { Plan } from '../topology/types.js';
import { acceptSubmission, refusalLog } from './accept.js';
import type { RelayContext } from './relay-context.js';
import { refusalReply, REPLIES, SmtpReplyError } from './replies.js';
import type { InboundHandlers, SubmissionAuth } from './server.js';
import { isInternational } from './smtputf8.js';

/** The logins of the users homed on `hostId`: canonical address → password. */
export function submissionAuth(plan: Plan, hostId: string, passwords: ReadonlyMap<string, string>): SubmissionAuth {
  const own = new Map<string, string>();
  for (const [address, password] of passwords) {
    const planned = plan.addresses.get(address);
    if (planned?.kind === 'user' && planned.user.home?.id === hostId) own.set(address, password);
  }
  return {
    authenticate(username, password) {
      if (!splitAddress(username)) return undefined;
      const address = canonicalAddress(username);
      const expected = own.get(address);
      return expected !== undefined && equal(expected, password) ? address : undefined;
    },
  };
}

/** Compares digests of equal length, so the time taken says nothing of how much was right. */
function equal(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** May `user` send as `sender`: their own address, or an alias they are a member of. */
function owns(plan: Plan, user: string, sender: string): boolean {
  const address = canonicalAddress(sender);
  if (address === user) return true;
  const planned = plan.addresses.get(address);
  return planned?.kind === 'alias' && aliasMembers(plan, planned.alias).includes(user);
}

/** The SMTP server's callbacks (server.ts) for the submission listener of this relay. */
export function submissionHandlers(relay: RelayContext): InboundHandlers {
  return {
    async mailFrom(address, session) {
      // server.ts requires AUTH before MAIL; a session without it never gets here.
      const user = session.user!;
      if (address === '') return;
      if (!session.smtpUtf8 && isInternational(address))
        throw new SmtpReplyError(REPLIES.needsSmtpUtf8(address, 'Sender'));
      if (!splitAddress(address) || !owns(relay.policy.plan, user, address))
        throw new SmtpReplyError(REPLIES.senderNotOwned(address, user));
    },
    async rcptTo(address, session) {
      if (!session.smtpUtf8 && isInternational(address))
        throw new SmtpReplyError(REPLIES.needsSmtpUtf8(address, 'Recipient'));
      const decision = route(relay.policy, address, 'internal');
      if (decision.kind === 'refuse') throw new SmtpReplyError(refusalReply(decision.address, decision.refusal));
    },
    async data(message, session) {
      const id = await acceptSubmission(relay, { from: session.from, to: session.recipients }, message.data, session);
      return REPLIES.queued(id);
    },
    refused: refusalLog(relay),
  };
}
