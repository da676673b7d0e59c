/**
 * DKIM selectors (RFC 6376 §3.1) as normalize settles them, and the key files they name.
 *
 * A domain's selectors are its own `dkim` list, else `defaults.dkim` (never for a null-MX domain,
 * which sends nothing, RFC 7505 §4.2). A key path may name `{domain}` and `{selector}`, so one
 * default gives each domain a file of its own. The loader reads every key file once (load.ts),
 * before normalize, which parses each one once: the plan carries the parsed private key, so no
 * signer parses a key again, and the record derivation stays a pure function of the plan.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import type { DkimKey, DkimKeyType, DkimSelector, PlanDay } from './types.js';

export interface RawDkimSelector {
  selector: string;
  algorithm: string;
  key: string;
  publicKey?: string;
  hosts?: string[];
  active?: boolean;
  retired?: string;
  removed?: string;
}

/** One selector of one domain, with where it was written: the domain's own list, or `defaults.dkim`. */
export interface SelectorSource {
  readonly raw: RawDkimSelector;
  /** The JSON pointer segments of the entry. */
  readonly path: readonly (string | number)[];
  readonly fromDefaults: boolean;
}

/** The selectors a domain has: its own, else the defaults (not for a null MX). */
export function selectorSources(
  display: string,
  spec: { mx?: unknown; dkim?: RawDkimSelector[] } | null | undefined,
  defaults: readonly RawDkimSelector[] | undefined,
): SelectorSource[] {
  if (spec?.dkim)
    return spec.dkim.map((raw, i) => ({ raw, path: ['domains', display, 'dkim', i], fromDefaults: false }));
  if (spec?.mx === null || !defaults) return [];
  return defaults.map((raw, i) => ({ raw, path: ['defaults', 'dkim', i], fromDefaults: true }));
}

/** A key path with its placeholders filled: `keys/{domain}.{selector}.pem`. */
export function keyPathOf(template: string, domain: string, selector: string): string {
  return template.replaceAll('{domain}', domain).replaceAll('{selector}', selector.toLowerCase());
}

/** The file a key path names: relative paths are relative to the topology's directory. */
export function keyFileOf(base: string, keyPath: string): string {
  return resolve(base, keyPath);
}

/** `rsa-2048` → rsa, 2048 bits; `ed25519` → ed25519, 256 bits (the schema admits nothing else). */
export function parseAlgorithm(algorithm: string): { type: DkimKeyType; bits: number } {
  const lower = algorithm.toLowerCase();
  if (lower === 'ed25519') return { type: 'ed25519', bits: 256 };
  return { type: 'rsa', bits: Number(lower.slice(4)) };
}

/** A key file as the loader read it: its bytes and (where the file system has them) permission bits, or the error code. */
export type KeyFileRead =
  { readonly bytes: Uint8Array; readonly mode: number | undefined } | { readonly error: string };

/** What a key file holds, parsed once. */
export function keyOf(read: KeyFileRead | undefined): DkimKey {
  if (!read) return { status: 'missing', reason: 'not read' };
  if ('error' in read) {
    return read.error === 'ENOENT'
      ? { status: 'missing', reason: 'no such file' }
      : { status: 'unreadable', reason: read.error };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(read.bytes), format: 'pem' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    return {
      status: 'invalid',
      reason:
        code === 'ERR_MISSING_PASSPHRASE'
          ? 'it holds an encrypted key, and a signer cannot ask for its passphrase'
          : 'it holds no PEM private key',
    };
  }
  const mode = read.mode;
  switch (privateKey.asymmetricKeyType) {
    case 'rsa': {
      // RFC 6376 §3.6.1: p= is the base64 of the DER SubjectPublicKeyInfo.
      const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
      const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
      return { status: 'ok', type: 'rsa', bits, privateKey, publicKey: spki.toString('base64'), mode };
    }
    case 'ed25519': {
      // RFC 8463 §4.2: p= is the base64 of the 32 octets of the public key itself.
      const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
      const publicKey = Buffer.from(x!, 'base64url').toString('base64');
      return { status: 'ok', type: 'ed25519', bits: 256, privateKey, publicKey, mode };
    }
    default:
      return {
        status: 'invalid',
        reason: `it holds an ${privateKey.asymmetricKeyType ?? 'unknown'} key; DKIM signs with RSA or Ed25519`,
      };
  }
}

/** A day as written, with its start in UTC; NaN when no such day exists (2026-02-30). */
export function planDay(text: string | undefined): PlanDay | undefined {
  if (text === undefined) return undefined;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const time = Date.UTC(y, m - 1, d);
  const date = new Date(time);
  const real = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  return { text, time: real ? time : NaN };
}

/** Whether a key is readable by anyone but its owner (group or other bits set). */
export function exposedMode(mode: number | undefined): boolean {
  return mode !== undefined && (mode & 0o077) !== 0;
}

/**
 * The selectors a host signs a domain's mail with: the active ones it is a signer of, at most one
 * per key type when the plan is sound (lint: dkim-selectors-distinct), in the order written.
 */
export function activeSelectors(domain: { readonly dkim: readonly DkimSelector[] }, hostId: string): DkimSelector[] {
  return domain.dkim.filter((s) => s.active && s.signers.some((h) => h.id === hostId));
}

/** RFC 8301 §3.2: signers must use at least 1024 bits and should use 2048; verifiers must handle up to 4096. */
export const RSA_KEY_BITS = { min: 1024, recommended: 2048, max: 4096 } as const;
