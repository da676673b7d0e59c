/**
 * Delivery status notifications (RFC 3464): the message a relay sends, from the null
 * reverse-path, when mail it accepted cannot be delivered (RFC 5321 §6.1). The caller makes sure
 * no DSN is ever sent about a message whose own reverse-path was null (§4.5.5).
 *
 * multipart/report; report-type=delivery-status (RFC 6522) with three parts: a note for people,
 * the machine-readable message/delivery-status, and the returned headers (text/rfc822-headers,
 * as with RET=HDRS: the body is not sent back).
 *
 * When an address it names is internationalized (RFC 6531), it is an RFC 6533 DSN: the note in
 * UTF-8, message/global-delivery-status with such addresses as the "utf-8" address type written
 * as they are (§3, utf-8-addr-unitext), and message/global-headers for the returned headers
 * (§6.3), whose bytes are returned unchanged either way.
 */
import { formatReply, type SmtpReply } from './replies.js';
import { isInternational } from './smtputf8.js';
import { rfc5322Date } from './trace.js';

export interface FailedRecipient {
  /** The final address (RFC 3464 Final-Recipient). */
  readonly address: string;
  /** As the envelope gave it, when different (an alias): RFC 3464 Original-Recipient. */
  readonly original: string;
  readonly reply: SmtpReply;
  /** The exchange that gave the reply, if one did. */
  readonly remote?: string;
}

export interface DsnInput {
  /** This host's planned name (Reporting-MTA, the From domain). */
  readonly reportingMta: string;
  /** The sender the DSN goes to. */
  readonly to: string;
  readonly queueId: string;
  readonly arrival: number;
  readonly date: number;
  readonly failures: readonly FailedRecipient[];
  /** The original message's header section (CRLF line ends), returned in the third part. */
  readonly originalHeaders: Buffer;
  /** Unique per DSN: the boundary and the Message-ID. */
  readonly uniq: string;
}

export function buildDsn(input: DsnInput): Buffer {
  const global = [input.to, ...input.failures.flatMap((f) => [f.address, f.original])].some(isInternational);
  /** RFC 3464 §2.1.2 address-type; RFC 6533 §3 for an internationalized address. */
  const typed = (address: string) => `${isInternational(address) ? 'utf-8' : 'rfc822'}; ${address}`;
  const boundary = `${input.uniq}/${input.reportingMta}`;
  const postmaster = `MAILER-DAEMON@${input.reportingMta}`;
  const lines = (...l: string[]) => l.join('\r\n');
  const human = lines(
    `This is the mail system at host ${input.reportingMta}.`,
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    ...input.failures.map(
      (f) =>
        `<${f.address}>${f.original !== f.address ? ` (expanded from <${f.original}>)` : ''}: ${f.remote ? `host ${f.remote} said: ` : ''}${formatReply(f.reply)}`,
    ),
  );
  // RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields (one blank line between groups).
  const status = lines(
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `X-Mxplan-Queue-ID: ${input.queueId}`,
    `Arrival-Date: ${rfc5322Date(input.arrival)}`,
    ...input.failures.flatMap((f) => [
      '',
      `Final-Recipient: ${typed(f.address)}`,
      ...(f.original !== f.address ? [`Original-Recipient: ${typed(f.original)}`] : []),
      'Action: failed',
      `Status: ${f.reply.enhanced}`,
      ...(f.remote ? [`Remote-MTA: dns; ${f.remote}`] : []),
      `Diagnostic-Code: smtp; ${formatReply(f.reply)}`,
      `Last-Attempt-Date: ${rfc5322Date(input.date)}`,
    ]),
  );
  const headers = trimLineEnds(input.originalHeaders);
  const head = lines(
    `From: Mail Delivery System <${postmaster}>`,
    `To: <${input.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${rfc5322Date(input.date)}`,
    `Message-ID: <${input.uniq}@${input.reportingMta}>`,
    // RFC 3834 §5: an automatic reply; nobody should answer it automatically.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    `Content-Type: text/plain; charset=${global ? 'utf-8' : 'us-ascii'}`,
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    `Content-Type: message/${global ? 'global-delivery-status' : 'delivery-status'}`,
    '',
    status,
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message Headers',
    `Content-Type: ${global ? 'message/global-headers' : 'text/rfc822-headers'}`,
    '',
    '',
  );
  const tail = lines('', '', `--${boundary}--`, '');
  return Buffer.concat([Buffer.from(head, 'utf8'), headers, Buffer.from(tail, 'utf8')]);
}

/** The header section without the blank line(s) that end it, bytes as they are. */
function trimLineEnds(headers: Buffer): Buffer {
  let end = headers.length;
  while (end >= 2 && headers[end - 2] === 0x0d && headers[end - 1] === 0x0a) end -= 2;
  return headers.subarray(0, end);
}
