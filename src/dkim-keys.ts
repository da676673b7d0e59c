/**
 * `mxplan keys`: makes each DKIM key the plan names and does not have, with node:crypto, at the
 * path the topology gives. A key file that exists is never touched, whatever it holds: a new key
 * in its place would no longer match the record already deployed. New files are created
 * exclusively (O_EXCL) with mode 0600, in directories made with mode 0700.
 *
 * Keys it will not make, and says why: for a selector that pins its public key (a new key would
 * not match it), and RSA keys outside the 1024 to 4096 bits verifiers must handle (RFC 8301
 * §3.2). A retired or removed selector needs none: it signs nothing more.
 */
import { generateKeyPair } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { inParallel } from './parallel.js';
import { RSA_KEY_BITS } from './topology/dkim.js';
import type { DkimSelector, Plan } from './topology/types.js';

/**
 * `created`; `exists` (left as it is); `unneeded`: missing, but every selector naming it is
 * retired or removed and signs nothing more; `skipped`: missing, and not made, for `why`.
 */
export type KeyOutcome =
  | {
      readonly status: 'created' | 'exists' | 'unneeded';
      readonly file: string;
      readonly selectors: readonly DkimSelector[];
    }
  | {
      readonly status: 'skipped';
      readonly file: string;
      readonly selectors: readonly DkimSelector[];
      readonly why: string;
    };

/** The selectors that name each key file, in plan order (several may share one file). */
function byFile(plan: Plan): Map<string, DkimSelector[]> {
  const files = new Map<string, DkimSelector[]>();
  for (const domain of plan.domains.values())
    for (const selector of domain.dkim) {
      const list = files.get(selector.keyFile);
      if (list) list.push(selector);
      else files.set(selector.keyFile, [selector]);
    }
  return files;
}

/** Why no key is made for a file that is missing, or undefined when one is. */
function whyNot(selectors: readonly DkimSelector[]): string | undefined {
  const [first] = selectors as [DkimSelector];
  const kinds = new Set(selectors.map((s) => `${s.type}-${s.bits}`));
  if (kinds.size > 1) return `its selectors ask for different keys (${[...kinds].join(', ')})`;
  const pinned = selectors.find((s) => s.pinnedPublicKey !== undefined);
  if (pinned)
    return `selector ${pinned.selector} of ${pinned.domain} pins its public key: restore the file, or drop publicKey for a new key`;
  if (selectors.every((s) => !s.active && (s.retired || s.removed)))
    return 'its selectors are retired: they sign nothing more';
  if (first.type === 'rsa' && (first.bits < RSA_KEY_BITS.min || first.bits > RSA_KEY_BITS.max))
    return `mxplan makes RSA keys of ${RSA_KEY_BITS.min} to ${RSA_KEY_BITS.max} bits (RFC 8301 §3.2), not ${first.bits}`;
  return undefined;
}

/** Makes every missing key; one outcome per key file the plan names, in plan order. */
export async function generateMissingKeys(plan: Plan): Promise<KeyOutcome[]> {
  const files = [...byFile(plan)];
  return inParallel(files, availableParallelism(), async ([file, selectors]): Promise<KeyOutcome> => {
    const { key } = selectors[0]!;
    if (key.status !== 'missing') return { status: 'exists', file, selectors };
    if (selectors.every((s) => s.retired || s.removed)) return { status: 'unneeded', file, selectors };
    const why = whyNot(selectors);
    if (why) return { status: 'skipped', file, selectors, why };
    const pem = await newKey(selectors[0]!);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    try {
      await writeFile(file, pem, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      // Made by someone else meanwhile: theirs stays.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { status: 'exists', file, selectors };
      throw error;
    }
    return { status: 'created', file, selectors };
  });
}

/** A new private key as PKCS #8 PEM: RSA with e = 65537, or Ed25519 (made in libuv's thread pool). */
function newKey(selector: DkimSelector): Promise<string> {
  const encoding = {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string) =>
      error ? reject(error) : resolve(privateKey);
    if (selector.type === 'rsa')
      generateKeyPair('rsa', { modulusLength: selector.bits, publicExponent: 0x10001, ...encoding }, done);
    else generateKeyPair('ed25519', encoding, done);
  });
}
