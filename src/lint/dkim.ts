/**
 * What the DKIM rules share: how a selector is named in findings, where a finding about its key
 * goes, and the key's effective type and size (the file's when it loads, else the declared ones).
 */
import type { SourceLocation } from '../diagnostics.js';
import type { DkimKeyType, DkimSelector } from '../topology/types.js';

/** "domain acme.example: selector s2026" for messages. */
export function selectorData(selector: DkimSelector): { domain: string; selector: string; path: string } {
  return { domain: selector.domain, selector: selector.selector, path: selector.keyPath };
}

/** Where a finding about the key goes: its `key` line, else the selector's entry. */
export function keyAt(selector: DkimSelector): SourceLocation {
  return selector.fields.key ?? selector.at;
}

/** The type and size a selector signs with: its key file's, when the file holds a usable key. */
export function effectiveKey(selector: DkimSelector): { type: DkimKeyType; bits: number } {
  return selector.key.status === 'ok' ? selector.key : selector;
}

/** "an RSA key of 1024 bits", "an Ed25519 key". */
export function describeKey(key: { type: DkimKeyType; bits: number }): string {
  return key.type === 'rsa' ? `an RSA key of ${key.bits} bits` : 'an Ed25519 key';
}
