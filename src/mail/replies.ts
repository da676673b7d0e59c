/**
 * SMTP replies the relay gives or records, as data: basic code (RFC 5321 §4.2), enhanced status
 * code (RFC 3463) and text. One catalogue, so the server, the queue and the DSN writer agree.
 *
 * smtp-server only maps enhanced codes from the basic code (every 550 would read 5.1.1), so the
 * relay does not advertise ENHANCEDSTATUSCODES and writes the RFC 3463 code into the text
 * itself, as many MTAs did before the extension existed.
 */
import type { Refusal } from '../routing/route.js';

export interface SmtpReply {
  readonly code: number;
  /** RFC 3463 class.subject.detail. */
  readonly enhanced: string;
  readonly text: string;
}

export const REPLIES = {
  /** RFC 5321 §3.6.2: a host that is neither MX nor mailbox store for the domain is not an open relay. */
  relayDenied: (rcpt: string): SmtpReply => ({ code: 550, enhanced: '5.7.1', text: `<${rcpt}>: Relay access denied` }),
  unknownUser: (rcpt: string): SmtpReply => ({
    code: 550,
    enhanced: '5.1.1',
    text: `<${rcpt}>: Recipient address rejected: User unknown`,
  }),
  /** RFC 7505 §4.1: a recipient in a domain with a null MX. */
  nullMxRecipient: (rcpt: string): SmtpReply => ({
    code: 556,
    enhanced: '5.1.10',
    text: `<${rcpt}>: Recipient address rejected: Domain does not accept mail (null MX)`,
  }),
  /** RFC 7505 §4.1: found while delivering (a domain outside the plan). */
  nullMxDomain: (domain: string): SmtpReply => ({
    code: 556,
    enhanced: '5.1.10',
    text: `Domain ${domain} does not accept mail (null MX)`,
  }),
  /** RFC 7505 §4.1: a sender in a domain that publishes a null MX cannot receive bounces. */
  nullMxSender: (sender: string): SmtpReply => ({
    code: 550,
    enhanced: '5.7.27',
    text: `<${sender}>: Sender address rejected: Domain does not accept mail (null MX)`,
  }),
  badAddress: (address: string): SmtpReply => ({
    code: 501,
    enhanced: '5.1.3',
    text: `<${address}>: Bad address syntax`,
  }),
  /** The plan names a home host that does not exist: a configuration error, so try later (RFC 3463 4.3.5). */
  noHomeHost: (rcpt: string, homeId: string): SmtpReply => ({
    code: 451,
    enhanced: '4.3.5',
    text: `<${rcpt}>: Home host "${homeId}" is not planned`,
  }),
  /** RFC 5321 §6.3 loop detection. */
  tooManyHops: (hops: number, limit: number): SmtpReply => ({
    code: 554,
    enhanced: '5.4.6',
    text: `Too many hops (${hops} Received headers, the limit is ${limit}): mail loop?`,
  }),
  /** RFC 1870 §6.3 over the SIZE limit. */
  messageTooBig: (limit: number): SmtpReply => ({
    code: 552,
    enhanced: '5.3.4',
    text: `Message size exceeds fixed limit of ${limit} bytes`,
  }),
  /** RFC 5321 §4.2.1: an error of ours is temporary, never 5xx. */
  localError: (what: string): SmtpReply => ({
    code: 451,
    enhanced: '4.3.0',
    text: `Local error in processing: ${what}`,
  }),
  /** RFC 5321 §4.2.2 452, RFC 3463 4.3.1: the disk is full; as Postfix says it. */
  insufficientStorage: (): SmtpReply => ({ code: 452, enhanced: '4.3.1', text: 'Insufficient system storage' }),
  /** RFC 6531 §3.5: a non-ASCII address in a transaction without SMTPUTF8. */
  needsSmtpUtf8: (address: string, role: 'Sender' | 'Recipient'): SmtpReply => ({
    code: 553,
    enhanced: '5.6.7',
    text: `<${address}>: ${role} address rejected: non-ASCII address without SMTPUTF8`,
  }),
  /** RFC 6531 §3.2: no downgrade; Postfix words it so. */
  smtpUtf8NotOffered: (host: string): SmtpReply => ({
    code: 553,
    enhanced: '5.6.7',
    text: `SMTPUTF8 is required, but was not offered by host ${host}`,
  }),
  /** RFC 5321 §4.1.1.11: a MAIL or RCPT parameter of no extension this server offers (Postfix's words). */
  unsupportedParameter: (parameter: string): SmtpReply => ({
    code: 555,
    enhanced: '5.5.4',
    text: `Unsupported option: ${parameter}`,
  }),
  /** The client went away before the final dot (RFC 3463 4.4.2: bad connection). */
  sessionLost: (): SmtpReply => ({ code: 451, enhanced: '4.4.2', text: 'The session closed before the final dot' }),
  queued: (id: string): SmtpReply => ({ code: 250, enhanced: '2.0.0', text: `Ok: queued as ${id}` }),
  delivered: (id: string): SmtpReply => ({ code: 250, enhanced: '2.0.0', text: `Ok: delivered as ${id}` }),
  /** RFC 3463 4.4.7: the queue lifetime ran out. */
  expired: (lastError: string): SmtpReply => ({
    code: 451,
    enhanced: '4.4.7',
    text: `Delivery time expired; last error: ${lastError}`,
  }),
  /** RFC 5321 §5.1: a relay whose MX list, once pruned of itself and worse, is empty. */
  loopsBackToMyself: (domain: string): SmtpReply => ({
    code: 554,
    enhanced: '5.4.6',
    text: `Mail for ${domain} loops back to myself (no MX more preferred than this host)`,
  }),
  /** RFC 5321 §5.1: NXDOMAIN is permanent. */
  noSuchDomain: (domain: string): SmtpReply => ({
    code: 550,
    enhanced: '5.1.2',
    text: `Host or domain name not found: ${domain}`,
  }),
  dnsTemporary: (domain: string, reason: string): SmtpReply => ({
    code: 451,
    enhanced: '4.4.3',
    text: `DNS lookup for ${domain} failed temporarily (${reason})`,
  }),
  /** RFC 3463 4.4.1: an address the connector has no endpoint for (never dialled). */
  unreachable: (exchange: string, address: string, why: string): SmtpReply => ({
    code: 451,
    enhanced: '4.4.1',
    text: `${exchange} [${address}]: unreachable (${why})`,
  }),
  noRoute: (domain: string): SmtpReply => ({
    code: 451,
    enhanced: '4.4.1',
    text: `No reachable mail exchanger for ${domain}`,
  }),
} as const;

/**
 * The reply for a failure of our own (a file system error, a defect): temporary (RFC 5321
 * §4.2.1), and generic, because an error's message names files of the state directory, which no
 * client or DSN reader is to see; whoever catches it logs the detail. A full disk says so (452
 * 4.3.1), as it is the one cause a sender's postmaster can read something into.
 */
export function localFailure(error: unknown): SmtpReply {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return REPLIES.insufficientStorage();
  return REPLIES.localError('the message was not stored; try again later');
}

/** What the log says about a failure of our own: its message in full. */
export function failureDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The reply to a recipient the routing policy refuses (src/routing/route.ts). */
export function refusalReply(address: string, refusal: Refusal): SmtpReply {
  switch (refusal.reason) {
    case 'bad-address':
      return REPLIES.badAddress(address);
    case 'relay-denied':
      return REPLIES.relayDenied(address);
    case 'null-mx':
      return REPLIES.nullMxRecipient(address);
    case 'unknown-user':
      return REPLIES.unknownUser(address);
    case 'no-home-host':
      return REPLIES.noHomeHost(address, refusal.homeId);
  }
}

/** The reply text smtp-server sends after the code: "5.7.1 <x>: Relay access denied". */
export function replyText(reply: SmtpReply): string {
  return `${reply.enhanced} ${reply.text}`;
}

/** "550 5.7.1 <x>: Relay access denied", as in logs and DSN Diagnostic-Code fields. */
export function formatReply(reply: SmtpReply): string {
  return `${reply.code} ${replyText(reply)}`;
}

export function isPermanent(reply: SmtpReply): boolean {
  return reply.code >= 500;
}

/** An Error that smtp-server turns into the reply (it reads `responseCode` and `message`). */
export class SmtpReplyError extends Error {
  readonly responseCode: number;
  constructor(readonly reply: SmtpReply) {
    super(replyText(reply));
    this.name = 'SmtpReplyError';
    this.responseCode = reply.code;
  }
}

/**
 * Reads a reply line from a remote server ("550 5.1.1 <x>: User unknown") back into a reply;
 * enhanced codes are guessed from the class when the server gave none.
 */
export function parseReply(line: string): SmtpReply | undefined {
  const m = /^([2-5]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\s+)?(.*)$/s.exec(line.trim());
  if (!m) return undefined;
  const code = Number(m[1]);
  return { code, enhanced: m[2] ?? `${Math.floor(code / 100)}.0.0`, text: (m[3] ?? '').replace(/\s+/g, ' ').trim() };
}
