/**
 * The state directory of a running plan, laid out in one place for every engine and reader:
 *
 *   <stateDir>/endpoints.json                     where the DNS and each host listen
 *   <stateDir>/ports.json                         the ports kept across restarts (sandbox/ports.ts)
 *   <stateDir>/<hostId>/lock                      the pid of the process using the host's state
 *   <stateDir>/<hostId>/queue/                    the host's queue
 *   <stateDir>/<hostId>/maildir/                  the host's Maildir root:
 *     <domain>/<local>/{tmp,new,cur}              one Maildir per mailbox homed on the host
 *
 * The Maildir root is laid out as Postfix's virtual(8) lays out `virtual_mailbox_base` with
 * maps of `<domain>/<local>/`, so a Postfix engine pointed at the same root is read the same way.
 * A leaf: the engines and verify import it, it imports nothing of theirs.
 */
import { join } from 'node:path';
import { splitAddress } from './topology/names.js';

export const ENDPOINTS_FILE = 'endpoints.json';

export function endpointsFile(stateDir: string): string {
  return join(stateDir, ENDPOINTS_FILE);
}

export const PORTS_FILE = 'ports.json';

export function portsFile(stateDir: string): string {
  return join(stateDir, PORTS_FILE);
}

export interface HostLayout {
  readonly dir: string;
  readonly lock: string;
  readonly queue: string;
  readonly maildirRoot: string;
}

export function hostLayout(stateDir: string, hostId: string): HostLayout {
  const dir = join(stateDir, hostId);
  return { dir, lock: join(dir, 'lock'), queue: join(dir, 'queue'), maildirRoot: join(dir, 'maildir') };
}

/** <root>/<domain>/<local>; a local part may hold "/" (RFC 5321 atext), so "%" and "/" are escaped. */
export function mailboxDir(root: string, address: string): string {
  const parts = splitAddress(address);
  if (!parts) throw new Error(`not an address: ${address}`);
  return join(root, parts.domain, parts.local.replace(/%/g, '%25').replace(/\//g, '%2F'));
}

/** The address whose mail a mailbox directory holds: the inverse of mailboxDir. */
export function mailboxAddress(domain: string, directory: string): string {
  return `${directory.replace(/%2F/g, '/').replace(/%25/g, '%')}@${domain}`;
}
