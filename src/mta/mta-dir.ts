/**
 * `mxplan mta`'s output: one directory per planned host, `<host>/postfix/` (postfix.ts) and, for
 * a store, `<host>/dovecot/` (dovecot.ts), for a host that signs `<host>/opendkim/` (opendkim.ts), with a README.md (readme.ts) at the top.
 *
 * The same plan gives the same bytes: tables sorted, no clock, no file names. The directory is
 * replaced as a whole, as the zones are (../output-dir.ts): the old tree or the new one, never a
 * mix, nothing written when nothing changed, and a tree holding files mxplan did not write
 * refused before anything changes. It is private to its owner (dovecot/passwd holds hashes).
 */
import { resolve } from 'node:path';
import { GENERATED_MARK } from '../dns/zone-file.js';
import { readOwnedDirectory, replaceOwnedDirectory } from '../output-dir.js';
import { hostPolicy } from '../routing/policy.js';
import type { Plan } from '../topology/types.js';
import { dovecotFiles, type Passwords } from './dovecot.js';
import { checkPaths, productionPaths, type PathsOf } from './paths.js';
import { opendkimFiles } from './opendkim.js';
import { postfixFiles } from './postfix.js';
import { outputReadme, type HostSummary } from './readme.js';

export interface MtaOptions {
  /** Password hashes by address (passwords.ts); users without one cannot log in. */
  readonly passwords?: Passwords;
  /** The paths of each host; production's by default (the lab gives its own). */
  readonly paths?: PathsOf;
}

export interface MtaOutput {
  /** Relative path ("mail1/postfix/main.cf") to text. */
  readonly files: Map<string, string>;
  readonly hosts: readonly HostSummary[];
}

const OWNED = { nested: true, private: true } as const;

export function mtaFiles(plan: Plan, options: MtaOptions = {}): MtaOutput {
  const paths = options.paths ?? productionPaths;
  const passwords = options.passwords ?? new Map<string, string>();
  const files = new Map<string, string>();
  const hosts: HostSummary[] = [];
  for (const host of [...plan.hosts.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const policy = hostPolicy(plan, host.id);
    const hostPaths = checkPaths(paths(host));
    const opendkim = opendkimFiles(policy, hostPaths);
    for (const [name, text] of postfixFiles(policy, hostPaths, opendkim?.instances ?? []))
      files.set(`${host.id}/postfix/${name}`, text);
    for (const [name, text] of opendkim?.files ?? []) files.set(`${host.id}/opendkim/${name}`, text);
    for (const [name, text] of dovecotFiles(policy, hostPaths, passwords))
      files.set(`${host.id}/dovecot/${name}`, text);
    const stored = [...policy.storedUsers()];
    hosts.push({
      id: host.id,
      fqdn: host.fqdn,
      role: host.role,
      mailboxes: stored.length,
      withoutHash: stored.filter((u) => !passwords.has(u.address)).length,
      dkimKeys: opendkim?.keys ?? [],
      opendkim: opendkim?.instances ?? [],
    });
  }
  files.set('README.md', outputReadme(plan, hosts));
  return { files, hosts };
}

export interface WriteMtaResult extends Omit<MtaOutput, 'files'> {
  /** The directory, absolute. */
  readonly out: string;
  /** False when the directory already held exactly these files. */
  readonly written: boolean;
  /** Files of an earlier run that the plan no longer produces (hosts since removed). */
  readonly removed: readonly string[];
}

export async function writeMtaDirectory(
  plan: Plan,
  options: MtaOptions & { readonly out: string },
): Promise<WriteMtaResult> {
  const out = resolve(options.out);
  const existing = await readOwnedDirectory(out, GENERATED_MARK, OWNED);
  const { files, hosts } = mtaFiles(plan, options);
  const { written, removed } = await replaceOwnedDirectory(out, files, existing, GENERATED_MARK, OWNED);
  return { out, hosts, written, removed };
}
