/**
 * Bounce: the DSN (RFC 3464, dsn.ts) for the recipients of a message that failed, queued to its
 * sender from the null reverse-path like any message this host originates (RFC 5321 §6.1). The
 * queue never asks for one about a message whose own reverse-path was null (§4.5.5).
 *
 * The DSN is signed (dkim-sign.ts) for the planned domain of this host's name, after the Received
 * stamp and before enqueue, so a receiver that checks DMARC for MAILER-DAEMON@<host> finds DKIM aligned.
 */
import type { FailedRecipient } from './dsn.js';
import { buildDsn } from './dsn.js';
import { enqueue } from './enqueue.js';
import type { RelayContext } from './relay-context.js';
import type { StoredEnvelope } from './spool.js';
import { readTrace, receivedHeader } from './trace.js';

/** Returns the DSN's queue id. */
export async function bounce(
  relay: RelayContext,
  original: StoredEnvelope,
  body: Buffer,
  failures: readonly FailedRecipient[],
): Promise<string> {
  // One DSN per message, named after it (lowercase: no generated id looks like this). A restart
  // that expires the message again makes the same DSN: the spool still holds it, or the
  // mailboxes' delivery keys (trace.ts) recognise it.
  const id = `${original.id}dsn`;
  if (relay.spool.holds(id)) return id;
  const { fqdn } = relay.policy.host;
  const now = relay.clock.now();
  const dsn = buildDsn({
    reportingMta: fqdn,
    to: original.from,
    queueId: original.id,
    arrival: original.arrival,
    date: now,
    failures,
    originalHeaders: body.subarray(0, readTrace(body, relay.traceHosts).headerLength),
    uniq: id,
  });
  const stamped = Buffer.concat([Buffer.from(receivedHeader({ by: fqdn, id, date: now })), dsn]);
  const signed = await relay.signer.sign(stamped, now);
  await enqueue(relay, { id, from: '', recipients: [original.from], origin: 'internal', arrival: now }, signed);
  return id;
}
