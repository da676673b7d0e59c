/**
 * Reading the DATA stream that smtp-server hands to onData, before anything is queued:
 *
 * - Line endings are normalised: a bare LF or a bare CR becomes CRLF (RFC 5321 §2.3.8: CRLF is
 *   the only line terminator). smtp-server ends DATA only at CRLF.CRLF but passes bare LF through
 *   unchanged, so a smuggling probe ("…\n.\r\nMAIL FROM:…") arrives as one message whose body
 *   holds the would-be commands; normalising means no later hop, ours or anyone's, can read them
 *   as a second message (Postfix 3.9 smtpd_forbid_bare_newline = normalize).
 * - The size limit is enforced while reading: past the limit the bytes are drained, not kept, so an
 *   oversized message costs no memory (smtp-server's SIZE is advisory; it still streams it all).
 */
import type { Readable } from 'node:stream';
import { REPLIES, SmtpReplyError } from './replies.js';

export interface InboundMessage {
  /** The normalised message; undefined when it went over the limit. */
  readonly data: Buffer | undefined;
  /** Bytes received (before normalisation). */
  readonly size: number;
  readonly oversized: boolean;
  /** How many bare CR or LF were turned into CRLF. */
  readonly bareLineEndings: number;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/** Streaming CRLF normaliser: remembers a CR that ended the previous chunk. */
export class LineEndingNormaliser {
  private pendingCR = false;
  fixed = 0;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk; // a CR carried over waits for a byte that decides
    // Fast path: no CR or LF out of place in this chunk and no CR carried over.
    if (!this.pendingCR && isClean(chunk)) {
      if (chunk.length > 0 && chunk[chunk.length - 1] === CR) {
        this.pendingCR = true;
        return chunk.subarray(0, chunk.length - 1);
      }
      return chunk;
    }
    // Copy the runs between line ends as they are; only a bare CR or LF becomes CRLF.
    const out: Buffer[] = [];
    let start = 0;
    let i = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      out.push(CRLF);
      if (chunk[0] === LF) start = i = 1;
      else this.fixed++; // the CR was bare
    }
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === CR) {
        if (i + 1 < chunk.length && chunk[i + 1] === LF) {
          i++; // a CRLF stays in the run
          continue;
        }
        out.push(chunk.subarray(start, i));
        start = i + 1;
        if (i + 1 === chunk.length)
          this.pendingCR = true; // the next chunk decides
        else {
          out.push(CRLF);
          this.fixed++;
        }
      } else if (byte === LF) {
        out.push(chunk.subarray(start, i), CRLF);
        this.fixed++;
        start = i + 1;
      }
    }
    out.push(chunk.subarray(start));
    return Buffer.concat(out);
  }

  end(): Buffer {
    if (!this.pendingCR) return Buffer.alloc(0);
    this.pendingCR = false;
    this.fixed++;
    return Buffer.from([CR, LF]);
  }
}

/** True when every LF follows a CR and every CR but a final one precedes an LF. */
function isClean(chunk: Buffer): boolean {
  let i = chunk.indexOf(LF);
  while (i >= 0) {
    if (i === 0 || chunk[i - 1] !== CR) return false;
    i = chunk.indexOf(LF, i + 1);
  }
  let j = chunk.indexOf(CR);
  while (j >= 0 && j < chunk.length - 1) {
    if (chunk[j + 1] !== LF) return false;
    j = chunk.indexOf(CR, j + 1);
  }
  return true;
}

/** Reads the DATA stream to its end (events, not an async iterator: a promise per chunk shows in the relay's profile). */
export function readInbound(stream: Readable, maxBytes: number): Promise<InboundMessage> {
  return new Promise((resolve, reject) => {
    const normaliser = new LineEndingNormaliser();
    const parts: Buffer[] = [];
    let size = 0;
    let oversized = false;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (oversized) return; // drain: the client is still sending, the reply comes after the final dot
      if (size > maxBytes) {
        oversized = true;
        parts.length = 0;
        return;
      }
      parts.push(normaliser.push(chunk));
    });
    let ended = false;
    stream.once('error', reject);
    // A session cut mid-DATA closes the stream without 'end': nothing was accepted (the client's
    // doing, not a failure of ours; the reply is for the log, the client is gone).
    stream.once('close', () => ended || reject(new SmtpReplyError(REPLIES.sessionLost())));
    stream.once('end', () => {
      ended = true;
      if (oversized) return resolve({ data: undefined, size, oversized, bareLineEndings: normaliser.fixed });
      parts.push(normaliser.end());
      resolve({ data: Buffer.concat(parts), size, oversized, bareLineEndings: normaliser.fixed });
    });
  });
}
