/**
 * TXT data as character-strings.
 *
 * RFC 1035 §3.3 and §3.3.14: TXT RDATA is one or more <character-string>s, each a length octet
 * and at most 255 octets. Longer text (a long SPF policy, a DKIM key) is split into several
 * strings of one record; SPF and DMARC readers join them without adding anything
 * (RFC 7208 §3.3, RFC 7489 §6.4).
 */

/** The most octets one character-string holds (RFC 1035 §3.3). */
export const MAX_CHARACTER_STRING = 255;

/**
 * Splits text into character-strings of at most 255 octets of UTF-8, never inside a multi-octet
 * character, and after a space when one lies in the second half of the string (so a reader sees
 * whole SPF terms; the joined text is unchanged). Text that fits stays one string.
 */
export function characterStrings(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_CHARACTER_STRING) return [text];
  const strings: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + MAX_CHARACTER_STRING, bytes.length);
    // Back off from UTF-8 continuation octets (10xxxxxx) so no character is cut in two.
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    if (end < bytes.length) {
      const space = bytes.lastIndexOf(0x20, end - 1);
      if (space >= start + MAX_CHARACTER_STRING / 2) end = space + 1;
    }
    strings.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return strings;
}
