/**
 * SOA serials (RFC 1035 §3.3.13) in the date convention YYYYMMDDnn, as BIND's documentation and
 * dnscontrol's BIND provider use it: the date of the change, then a two-digit revision.
 *
 * A zone keeps its serial while its content stays the same, so regenerating unchanged input
 * changes no file; a changed zone always gets a serial greater than the one it had, in RFC 1982
 * serial arithmetic, so secondaries transfer it.
 */

const SERIAL_SPACE = 2 ** 32;
const HALF_SPACE = 2 ** 31;

/** The first serial of a UTC day: YYYYMMDD00. */
export function dateSerial(now: Date): number {
  return now.getUTCFullYear() * 1_000_000 + (now.getUTCMonth() + 1) * 10_000 + now.getUTCDate() * 100;
}

/** RFC 1982 §3.2: whether serial a is greater than serial b. */
export function serialGreater(a: number, b: number): boolean {
  return (a < b && b - a > HALF_SPACE) || (a > b && a - b < HALF_SPACE);
}

/**
 * The serial of a changed zone: today's YYYYMMDD00 when that is greater than the previous serial,
 * else the previous serial plus one (RFC 1982 §3.1, modulo 2^32), so several changes in one day,
 * or a serial from the future, still count up.
 */
export function nextSerial(previous: number | undefined, today: number): number {
  if (previous === undefined || serialGreater(today, previous)) return today;
  return (previous + 1) % SERIAL_SPACE;
}

export function isSerial(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < SERIAL_SPACE;
}

/**
 * The SOA serial of a master file, or undefined when none can be found: the third field after
 * the first `SOA` token, skipping comments and parentheses. Enough for the files this tool
 * writes and for most hand-written ones.
 */
export function readSerial(text: string): number | undefined {
  const tokens = text
    .split('\n', 200) // the SOA is near the top; a large reverse zone need not be tokenised
    .map((line) => line.replace(/;.*$/, '')) // SOA lines hold no quoted strings, so ; starts a comment
    .join(' ')
    .replace(/[()]/g, ' ')
    .split(/\s+/);
  const soa = tokens.findIndex((token) => token.toUpperCase() === 'SOA');
  const serial = soa < 0 ? undefined : tokens[soa + 3];
  if (serial === undefined || !/^\d+$/.test(serial)) return undefined;
  const value = Number(serial);
  return isSerial(value) ? value : undefined;
}

/**
 * The file with its serial blanked, to compare two versions of a zone written by zone-file.ts
 * (where the serial sits alone on a line marked `; serial`).
 */
export function maskSerial(text: string): string {
  return text.replace(/^(\s*)\d+(\s*; serial)$/m, '$1-$2');
}
