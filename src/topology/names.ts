/** Canonical DNS names and mail addresses, minted only here and in normalize. */
import { domainToASCII } from 'node:url';

/**
 * Lowercase A-label form without the trailing dot. IDN U-labels become A-labels (UTS #46 via
 * the WHATWG URL parser). Returns the lowercased input when conversion fails, so lint can name
 * the bad label instead of losing it.
 */
export function canonicalName(raw: string): string {
  const trimmed = raw.trim().replace(/\.$/, '').toLowerCase();
  // ASCII names need no IDN processing (and the parser would refuse "_spf" style labels in some builds).
  if (/^[\x21-\x7e]*$/.test(trimmed)) return trimmed;
  return domainToASCII(trimmed) || trimmed;
}

/** RFC 1035 §2.3.4: labels of at most 63 octets, names of at most 253 characters in text form. */
export function nameSyntaxProblem(name: string, { hostname = true } = {}): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return `is ${name.length} characters long (at most 253)`;
  for (const label of name.split('.')) {
    if (label.length === 0) return 'has an empty label';
    if (label.length > 63) return `has a label of ${label.length} characters ("${label.slice(0, 20)}…", at most 63)`;
    // RFC 952 / RFC 1123 §2.1 LDH labels for host names; owner names like _dmarc may use "_".
    const ldh = hostname ? /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/ : /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;
    if (!ldh.test(label)) return `has an invalid label "${label}" (letters, digits and inner hyphens only)`;
  }
  if (/^\d+$/.test(name.split('.').at(-1)!)) return 'ends in an all-numeric label (it looks like an IP address)';
  return undefined;
}

/**
 * RFC 5321 §4.1.2 dot-atom local part, with RFC 6532 §3.2's UTF8-non-ascii in atext: the relays
 * take RFC 6531 (SMTPUTF8) addresses. Quoted local parts are not planned. Canonical local parts
 * are lowercase, hence a-z.
 */
const ATEXT = "[a-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\u{10FFFF}-]";
const LOCAL_PART = new RegExp(`^${ATEXT}+(\\.${ATEXT}+)*$`, 'u');

export function localPartProblem(local: string): string | undefined {
  if (local.length === 0) return 'is empty';
  const octets = Buffer.byteLength(local, 'utf8');
  if (octets > 64) return `is ${octets} octets long (RFC 5321 §4.5.3.1.1 allows 64)`;
  if (!LOCAL_PART.test(local)) return 'is not a dot-atom (RFC 5321 §4.1.2)';
  const nfc = nfcForm(local);
  if (nfc) return `is not in Unicode NFC (RFC 6532 §3.1): its NFC form is "${nfc}"`;
  return undefined;
}

/**
 * The NFC form of a local part when it differs (RFC 6532 §3.1: addresses are exchanged in NFC).
 * mxplan never normalises one itself: two spellings of "jürgen" would be two mailboxes.
 */
export function nfcForm(local: string): string | undefined {
  const nfc = local.normalize('NFC');
  return nfc === local ? undefined : nfc;
}

export function canonicalLocal(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Splits "local@domain" (the last @) into canonical parts; undefined when there is no @. */
export function splitAddress(raw: string): { local: string; domain: string } | undefined {
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) return undefined;
  return { local: canonicalLocal(raw.slice(0, at)), domain: canonicalName(raw.slice(at + 1)) };
}

export function canonicalAddress(raw: string, defaultDomain?: string): string {
  const parts = splitAddress(raw);
  if (parts) return `${parts.local}@${parts.domain}`;
  return defaultDomain ? `${canonicalLocal(raw)}@${defaultDomain}` : canonicalLocal(raw);
}

/** Whether `name` equals `zone` or lies below it. */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}
