/**
 * `--passwords FILE`: the password hashes of the plan's users, kept outside the plan. One
 * `address:{SCHEME}hash` line per user, as `doveadm pw` prints the hash; blank lines and lines
 * starting with # are ignored. A hash is never a password: cleartext schemes are refused.
 *
 * Every problem names the file and line, and nothing is written (exit 2).
 */
import { readFile } from 'node:fs/promises';
import { ResourceError } from '../errors.js';
import { canonicalAddress } from '../topology/names.js';
import type { Plan } from '../topology/types.js';
import type { Passwords } from './dovecot.js';

/** Dovecot schemes that hold the password itself (Dovecot password schemes: PLAIN and its aliases). */
const CLEARTEXT = new Set(['PLAIN', 'CLEAR', 'CLEARTEXT', 'PLAIN-TRUNC']);

export async function readPasswords(file: string, plan: Plan): Promise<Passwords> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ResourceError(`cannot read the passwords file ${file} (${code})`, { cause });
  }
  return parsePasswords(text, file, plan);
}

export function parsePasswords(text: string, file: string, plan: Plan): Passwords {
  const hashes = new Map<string, string>();
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResourceError(`${where}: expected address:{SCHEME}hash, found "${clip(line)}"`);
    const address = canonicalAddress(line.slice(0, colon));
    const hash = line.slice(colon + 1);
    const planned = plan.addresses.get(address);
    if (!planned) throw new ResourceError(`${where}: ${address} is no user of the plan`);
    if (planned.kind === 'alias') throw new ResourceError(`${where}: ${address} is an alias; only users log in`);
    const scheme = /^\{([A-Za-z0-9.-]+)\}\S+$/.exec(hash)?.[1];
    if (!scheme || hash.includes(':'))
      throw new ResourceError(`${where}: the hash of ${address} must read {SCHEME}hash, as doveadm pw prints it`);
    if (CLEARTEXT.has(scheme.toUpperCase()))
      throw new ResourceError(`${where}: ${address} has a {${scheme}} password, not a hash; give doveadm pw's output`);
    const earlier = lines.get(address);
    if (earlier !== undefined) throw new ResourceError(`${where}: ${address} already has a hash on line ${earlier}`);
    hashes.set(address, hash);
    lines.set(address, i + 1);
  });
  return hashes;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
