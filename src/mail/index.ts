/**
 * The mail side of the sandbox: one SMTP relay per planned host, on loopback.
 *
 * Pipeline of one message (each stage its own module):
 *   server.ts   smtp-server, callbacks as async handlers; RCPT checked by route.ts
 *   inbound.ts  DATA read with CRLF normalisation and the size limit
 *   trace.ts    Received header, hop count, delivery key
 *   maildir.ts  final delivery (tmp, fdatasync, rename, fsync new/), one copy per key and mailbox
 *   spool.ts    the queue's durable store: append-only, group commit, replayed on start,
 *               old segments compacted (sync-directory.ts: the directory fsync both share)
 *   queue.ts    per-destination backoff, lifetime, DSN (dsn.ts)
 *   next-hop.ts + transmit.ts + smtp-client.ts   MX or home host, fall-through, per-recipient outcome
 *
 * Addresses: every relay listens on 127.0.0.1 with its own port; the responder serves the plan's
 * records unchanged, and the connector (an address book) maps a planned address to the endpoint
 * that stands in for it. Nothing is dialled that is not in the book.
 */
export {
  startRelay,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_RECIPIENTS,
  type Relay,
  type RelayOptions,
} from './relay.js';
export { AddressBook, type Connector, type Endpoint } from './connector.js';
export { caresResolver, type MailResolver, type MxRecord, type ResponderAddress } from './resolver.js';
export { systemClock, type Clock, type Timer } from './clock.js';
export { FAST_TIME_SCALE, profileFor, type Profile, type ProfileName, type ProfileOverrides } from './profiles.js';
export type { MailEvent, MailLog } from './events.js';
export { route, type RouteDecision, type RouteOrigin } from './route.js';
export { expandRecipients, type Target } from './expand.js';
export { formatReply, type SmtpReply } from './replies.js';
