/**
 * Trace headers (RFC 5321 §4.4): every hop prepends a Received header naming itself, which is
 * what makes loops countable (§6.3) and what carries the delivery key that keeps mailboxes free
 * of duplicates after a crash.
 *
 * The delivery key is the first planned host's queue id: the relay that first took
 * responsibility for a message writes `by <its fqdn> ... id <queue id>`; every later planned hop
 * stacks its own Received above it. A resend of the same queued bytes (after a crash between the
 * next hop's 250 and our own bookkeeping) therefore carries the same key, and the final Maildir
 * stores one copy per key and mailbox.
 */

export interface ReceivedFields {
  /** The client's EHLO/HELO argument; absent for a message generated here (a DSN). */
  readonly helo?: string;
  readonly clientAddress?: string;
  /** This host's planned name. */
  readonly by: string;
  readonly id: string;
  /** Named only for a single recipient, so an alias does not disclose its members (as Postfix). */
  readonly recipient?: string;
  /**
   * RFC 5321 §4.4 "with": ESMTPS after STARTTLS, ESMTPSA after STARTTLS and AUTH (RFC 3848),
   * UTF8SMTP(S)(A) for SMTPUTF8 (RFC 6531 §3.7.3).
   */
  readonly protocol?: 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPSA' | 'UTF8SMTP' | 'UTF8SMTPS' | 'UTF8SMTPSA';
  readonly date: number;
}

/** The header, folded, ending in CRLF. */
export function receivedHeader(f: ReceivedFields): string {
  const from =
    f.helo !== undefined
      ? `from ${headerSafe(f.helo) || 'unknown'} (${f.clientAddress ? `[${f.clientAddress}]` : 'unknown'})\r\n\t`
      : '';
  const via = f.helo !== undefined ? ` with ${f.protocol ?? 'ESMTP'}` : '';
  const forClause = f.recipient ? `\r\n\tfor <${headerSafe(f.recipient)}>` : '';
  return `Received: ${from}by ${f.by} (mxplan)${via} id ${f.id}${forClause};\r\n\t${rfc5322Date(f.date)}\r\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC: "Thu, 28 Nov 2024 04:20:00 +0000". */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const day = DAYS[d.getUTCDay()];
  const month = MONTHS[d.getUTCMonth()];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${two(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Client-supplied text must not break the header (it has been seen with CR/LF in HELO). */
function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- controls are exactly what a trace token must not carry
  return text.replace(/[\x00-\x20\x7f()<>;\\"]/g, '').slice(0, 255);
}

export interface TraceSummary {
  /** Received headers in the header section (RFC 5321 §6.3 hop count). */
  readonly hops: number;
  /** "by-host id" of the first planned hop, when the top of the trace was written by planned hosts. */
  readonly deliveryKey: string | undefined;
  /** Byte length of the header section including the blank line (or the whole message without one). */
  readonly headerLength: number;
  /** The Message-ID, as messageIdOf reads it: the header section is split once for both. */
  readonly messageId: string | undefined;
}

/** Longer than any Received field a planned host writes (receivedHeader above). */
const MAX_PLANNED_RECEIVED = 2048;

/** Header sections are small; a longer one is read up to this many bytes for the trace. */
const MAX_HEADER_SCAN = 1024 * 1024;

/**
 * Reads the trace of a message. Only the contiguous run of planned-host Received headers at the
 * top counts for the key, so a header forged further down by a client cannot choose it.
 */
export function readTrace(message: Buffer, plannedHosts: ReadonlySet<string>): TraceSummary {
  const { fields, headerLength } = headerFields(message);
  const received = fields.filter((f) => /^received\s*:/i.test(f));

  let deliveryKey: string | undefined;
  for (const header of received) {
    // Ours are a few hundred bytes; a longer one was not written by a planned host. Two linear
    // searches, not one pattern with a lazy gap: a client's "Received: by a by a ..." would make
    // that quadratic, and every relay shares the thread.
    if (header.length > MAX_PLANNED_RECEIVED) break;
    const by = /\bby\s+([a-z0-9.-]+)/i.exec(header);
    const host = by?.[1]?.toLowerCase();
    if (!by || !host || !plannedHosts.has(host)) break;
    const id = /\bid\s+([A-Za-z0-9]+)/i.exec(header.slice(by.index + by[0].length));
    if (!id) break;
    deliveryKey = `${host} ${id[1]}`;
  }
  return { hops: received.length, deliveryKey, headerLength, messageId: messageIdIn(fields) };
}

/** The message's Message-ID (RFC 5322 §3.6.4), angle brackets included, when it has one. */
export function messageIdOf(message: Buffer): string | undefined {
  return messageIdIn(headerFields(message).fields);
}

function messageIdIn(fields: readonly string[]): string | undefined {
  const field = fields.find((f) => /^message-id\s*:/i.test(f));
  return field && /<[^<>\s]{1,998}>/.exec(field)?.[0];
}

/** The header section's fields, unfolding left to the reader (RFC 5322 §2.2.3), and its length. */
function headerFields(message: Buffer): { fields: string[]; headerLength: number } {
  const end = message.indexOf('\r\n\r\n');
  const headerLength = end < 0 ? message.length : end + 4;
  const section = message.subarray(0, Math.min(end < 0 ? message.length : end, MAX_HEADER_SCAN)).toString('latin1');
  return { fields: section.length === 0 ? [] : section.split(/\r\n(?![ \t])/), headerLength };
}
