/**
 * Acceptance: where a relay takes responsibility for a message, from an SMTP client (MAIL, RCPT,
 * DATA) or from one of its own users (local submission). At DATA, in order:
 *
 *   1. loop check   RFC 5321 §6.3: past the plan's hop limit the message is refused (554);
 *   2. stamp        our Received header on top (§4.4), the queue id in it;
 *   3. store        mail for mailboxes homed here only goes straight to the Maildirs (their
 *                   fsync is the stable storage); anything else into the queue (enqueue.ts).
 *
 * The 250 comes only after step 3 is on disk (§6.1). A local submission is signed (dkim-sign.ts)
 * between the stamp and the store; mail from SMTP clients is relayed as it came, unsigned by us.
 * Checks of inbound mail (DKIM verification) would go at the same place.
 */
import { expandRecipients, type Expansion } from '../routing/expand.js';
import { route } from '../routing/route.js';
import { canonicalAddress, splitAddress } from '../topology/names.js';
import { enqueue } from './enqueue.js';
import { LineEndingNormaliser, type InboundMessage } from './inbound.js';
import { deliverLocal, ownKey } from './local-delivery.js';
import type { RelayContext } from './relay-context.js';
import { formatReply, refusalReply, REPLIES, SmtpReplyError, type SmtpReply } from './replies.js';
import type { InboundHandlers, SessionInfo } from './server.js';
import type { StoredEnvelope } from './spool.js';
import { messageIdOf, readTrace, receivedHeader, type ReceivedFields } from './trace.js';
import { isInternational } from './smtputf8.js';
import type { RecipientOutcome } from './transmit.js';

/** The SMTP server's callbacks (server.ts) for this relay. */
export function inboundHandlers(relay: RelayContext): InboundHandlers {
  return {
    async mailFrom(address, session) {
      if (address === '') return;
      if (!session.smtpUtf8 && isInternational(address))
        throw new SmtpReplyError(REPLIES.needsSmtpUtf8(address, 'Sender'));
      const parts = splitAddress(address);
      // RFC 7505 §4.1: a sender in a null-MX domain could never receive a bounce.
      if (parts && relay.policy.plan.domains.get(parts.domain)?.nullMx)
        throw new SmtpReplyError(REPLIES.nullMxSender(address));
    },
    async rcptTo(address, session) {
      if (!session.smtpUtf8 && isInternational(address))
        throw new SmtpReplyError(REPLIES.needsSmtpUtf8(address, 'Recipient'));
      const decision = route(relay.policy, address, 'inbound');
      if (decision.kind === 'refuse') throw new SmtpReplyError(refusalReply(decision.address, decision.refusal));
    },
    data: (message, session) => acceptData(relay, message, session),
    refused: refusalLog(relay),
  };
}

/** A refusal to an SMTP client, into the relay's log (the message never entered the host). */
export function refusalLog(relay: RelayContext): InboundHandlers['refused'] {
  const host = relay.policy.host.id;
  return (stage, reply, address) =>
    relay.log({ type: 'refused', host, stage, ...(address !== undefined && { address }), reply: formatReply(reply) });
}

/** DATA: the message from an SMTP client, whose recipients were accepted at RCPT. Returns the 250. */
export function acceptData(
  relay: RelayContext,
  message: InboundMessage & { data: Buffer },
  session: SessionInfo,
): Promise<SmtpReply> {
  return whileTaking(relay, () => takeData(relay, message, session));
}

/**
 * Counts a message the relay is taking (from its whole DATA to its reply) in `relay.taking`: mail
 * in motion that no queue holds yet, so that the relay is not called still meanwhile (Relay.motion).
 */
async function whileTaking<T>(relay: RelayContext, take: () => Promise<T>): Promise<T> {
  relay.taking++;
  try {
    return await take();
  } finally {
    relay.taking--;
  }
}

async function takeData(
  relay: RelayContext,
  message: InboundMessage & { data: Buffer },
  session: SessionInfo,
): Promise<SmtpReply> {
  const { policy } = relay;
  const trace = readTrace(message.data, relay.traceHosts);
  // RFC 5321 §6.3: count the Received headers; past the limit it is a loop.
  if (trace.hops >= policy.hopLimit) throw new SmtpReplyError(REPLIES.tooManyHops(trace.hops, policy.hopLimit));
  const recipients = session.recipients.map((r) => canonicalAddress(r));
  const { envelope, body } = stamp(relay, message.data, {
    from: session.from,
    recipients,
    origin: 'inbound',
    client: { helo: session.helo, address: session.remoteAddress },
    secure: session.secure === true,
    smtpUtf8: session.smtpUtf8,
  });
  const accepted = {
    type: 'accepted',
    host: policy.host.id,
    queueId: envelope.id,
    from: envelope.from,
    recipients,
    size: message.size,
    bareLineEndings: message.bareLineEndings,
    messageId: trace.messageId,
    client: envelope.client,
  } as const;

  // RCPT accepted each recipient, by the policy then in force; a reload since (Relay.reload)
  // changes where they go, not whether they were accepted.
  const expansion = expandRecipients(policy, recipients, 'internal');
  if (expansion.failures.length === 0 && expansion.targets.every((t) => t.to.kind === 'local')) {
    // The trace read above, before our own Received: the same key deliveryKey(body) gives.
    const key = trace.deliveryKey ?? ownKey(relay, envelope.id);
    const { delivered, stored } = await storeLocally(relay, envelope, body, expansion, key);
    relay.log({ ...accepted, stored });
    for (const [recipient, o] of delivered)
      relay.log({
        type: 'delivered',
        host: policy.host.id,
        queueId: envelope.id,
        recipient,
        to: 'maildir',
        duplicate: o.duplicate === true,
        reply: formatReply(o.reply),
      });
    return stored === 'maildir' ? REPLIES.delivered(envelope.id) : REPLIES.queued(envelope.id);
  }
  await enqueue(relay, envelope, body, [], expansion);
  relay.log({ ...accepted, stored: 'queue' });
  return REPLIES.queued(envelope.id);
}

/**
 * Local submission from one of this host's own users, as Postfix's sendmail(1) takes it, or as
 * its submission port (RFC 6409) takes it from an authenticated client (`via`): routed like any
 * message this host originates, so it may go to any domain. Returns the queue id once the
 * message is on stable storage.
 */
export function acceptSubmission(
  relay: RelayContext,
  envelope: { readonly from: string; readonly to: readonly string[] },
  message: Buffer,
  via?: Pick<SessionInfo, 'helo' | 'remoteAddress' | 'secure' | 'smtpUtf8'>,
): Promise<string> {
  return whileTaking(relay, () => takeSubmission(relay, envelope, message, via));
}

async function takeSubmission(
  relay: RelayContext,
  { from, to }: { readonly from: string; readonly to: readonly string[] },
  message: Buffer,
  via?: Pick<SessionInfo, 'helo' | 'remoteAddress' | 'secure' | 'smtpUtf8'>,
): Promise<string> {
  const recipients = to.map((r) => canonicalAddress(r));
  // RFC 5322 §2.3: lines end in CRLF; a submitted bare LF or CR is normalised before queueing.
  const normaliser = new LineEndingNormaliser();
  const normalised = Buffer.concat([normaliser.push(message), normaliser.end()]);
  const { envelope, body } = stamp(relay, normalised, {
    from,
    recipients,
    origin: 'internal',
    ...(via && {
      client: { helo: via.helo, address: via.remoteAddress },
      secure: via.secure,
      smtpUtf8: via.smtpUtf8,
      authenticated: true,
    }),
  });
  await enqueue(relay, envelope, await relay.signer.sign(body, envelope.arrival));
  relay.log({
    type: 'accepted',
    host: relay.policy.host.id,
    queueId: envelope.id,
    from: envelope.from,
    recipients,
    size: normalised.length,
    stored: 'queue',
    bareLineEndings: normaliser.fixed,
    messageId: messageIdOf(normalised),
    client: envelope.client,
  });
  return envelope.id;
}

/**
 * A new queue id, the envelope, and the message with our Received header on top. Runs for every
 * message, so both are plain literals, without spreads of optional parts (V8 builds those on a
 * slow path, and JSON.stringify, in the spool, walks what they leave slowly).
 */
function stamp(
  relay: RelayContext,
  message: Buffer,
  arrival: Pick<StoredEnvelope, 'from' | 'recipients' | 'origin' | 'client'> & Protocol,
): { envelope: StoredEnvelope; body: Buffer } {
  const id = relay.newQueueId();
  const now = relay.clock.now();
  const { recipients, client } = arrival;
  const fields: ReceivedFields = {
    // Local submission has no SMTP client: the Received header has no FROM clause.
    helo: client?.helo,
    clientAddress: client?.address,
    protocol: withProtocol(arrival),
    by: relay.policy.host.fqdn,
    id,
    date: now,
    recipient: recipients.length === 1 ? recipients[0] : undefined,
  };
  const from = arrival.from === '' ? '' : canonicalAddress(arrival.from);
  const envelope: StoredEnvelope = client
    ? { id, from, recipients, origin: arrival.origin, arrival: now, client }
    : { id, from, recipients, origin: arrival.origin, arrival: now };
  // UTF-8: the recipient named in it may be an internationalized address (RFC 6532 §3.2)
  return { envelope, body: Buffer.concat([Buffer.from(receivedHeader(fields), 'utf8'), message]) };
}

/**
 * Every target is a mailbox here: the Maildir writes are the stable storage (no queue hop).
 * Returns the targets written and where the message now is.
 */
async function storeLocally(
  relay: RelayContext,
  envelope: StoredEnvelope,
  body: Buffer,
  expansion: Expansion,
  key: string,
): Promise<{ delivered: [string, RecipientOutcome][]; stored: 'maildir' | 'queue' }> {
  const { outcomes } = await deliverLocal(relay, { envelope, targets: expansion.targets, body }, key);
  const delivered = [...outcomes].filter(([, o]) => o.status === 'delivered');
  const failed = [...outcomes.values()].find((o) => o.status !== 'delivered');
  // Nothing written: the client still holds the message, and its retry is harmless (4xx).
  if (failed && delivered.length === 0) throw new SmtpReplyError(failed.reply);
  // Some mailboxes have it: the others wait in the queue, where a retry cannot reach the
  // mailboxes already written (a client's retry would carry a new queue id, hence a new key).
  if (failed)
    await enqueue(
      relay,
      envelope,
      body,
      delivered.map(([address]) => address),
      expansion,
    );
  return { delivered, stored: failed ? 'queue' : 'maildir' };
}

interface Protocol {
  secure?: boolean;
  smtpUtf8?: boolean;
  /** The client logged in (AUTH, RFC 4954): only ever after STARTTLS here. */
  authenticated?: boolean;
}

/**
 * The "with" of our Received header: RFC 3848 ESMTPS after STARTTLS (ESMTPSA with AUTH too),
 * RFC 6531 §3.7.3 UTF8SMTP (UTF8SMTPS with TLS, UTF8SMTPSA with AUTH) for an SMTPUTF8
 * transaction; ESMTP, the default, is left unsaid.
 */
function withProtocol(arrival: Protocol): ReceivedFields['protocol'] {
  const tls = arrival.secure ? (arrival.authenticated ? 'SA' : 'S') : '';
  if (arrival.smtpUtf8) return `UTF8SMTP${tls}` as ReceivedFields['protocol'];
  return tls ? (`ESMTP${tls}` as ReceivedFields['protocol']) : undefined;
}
