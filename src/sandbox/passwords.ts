/**
 * <stateDir>/passwords.json: a throwaway password for every user homed on a store (address →
 * password), made on the first start and kept, so a mail client set up once keeps logging in
 * (the submission port, IMAP, POP3). A user the topology gained since gets one on the next start;
 * one it lost is forgotten. Mode 0600: the passwords are the sandbox's only secret besides the
 * CA's key. Written whole (temporary file, then rename).
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { ResourceError } from '../errors.js';
import { passwordsFile } from '../state-layout.js';
import type { Plan } from '../topology/types.js';
import { readJsonFile } from './json-file.js';

/** Canonical address → cleartext password. */
export type Logins = ReadonlyMap<string, string>;

/** The plan's store users' passwords, those kept reused, the missing ones made and kept. */
export async function openPasswords(plan: Plan, stateDir: string): Promise<Logins> {
  const file = passwordsFile(stateDir);
  const kept = await readKept(file);
  const logins = new Map<string, string>();
  for (const domain of plan.domains.values())
    for (const user of domain.users.values())
      if (user.home?.role === 'store') logins.set(user.address, kept?.get(user.address) ?? newPassword());
  const same = kept !== undefined && kept.size === logins.size && [...logins].every(([a, p]) => kept.get(a) === p);
  if (!same) {
    await writeFile(`${file}.tmp`, `${JSON.stringify(Object.fromEntries(logins), null, 2)}\n`, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
  // A file kept from before (or restored by a person) may have a wider mode: it holds secrets.
  await chmod(file, 0o600);
  return logins;
}

/**
 * Letters and digits only. base64url's '-' and '_' made one password in 64 start with '-', which
 * a client's command line reads as an option (`swaks --auth-password -f3re...`: "Unknown
 * option"), as docs/clients.md's own example would; and no shell or config file quotes these.
 */
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 16 of the 62 symbols: 95 bits, as the 12 random bytes before. */
const PASSWORD_LENGTH = 16;
/** The largest multiple of 62 a byte holds: bytes from it up are drawn again, so each symbol is equally likely. */
const UNBIASED_BELOW = 256 - (256 % PASSWORD_ALPHABET.length);

export function newPassword(): string {
  let password = '';
  while (password.length < PASSWORD_LENGTH)
    for (const byte of randomBytes(PASSWORD_LENGTH)) {
      if (byte >= UNBIASED_BELOW) continue;
      password += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
      if (password.length === PASSWORD_LENGTH) break;
    }
  return password;
}

/** What the file keeps; undefined when there is none yet. */
async function readKept(file: string): Promise<Map<string, string> | undefined> {
  const data = await readJsonFile(file);
  if (data === undefined) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ResourceError(`${file}: not an object of address to password`);
  const kept = new Map<string, string>();
  for (const [address, password] of Object.entries(data)) {
    if (typeof password !== 'string' || password === '' || /[\0\r\n]/.test(password))
      throw new ResourceError(`${file}: ${address}: the password is not a non-empty string on one line`);
    kept.set(address, password);
  }
  return kept;
}
