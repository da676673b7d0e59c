/**
 * The state directory of a running plan, laid out in one place for every engine and reader:
 *
 *   <stateDir>/endpoints.json                     where the DNS and each host listen
 *   <stateDir>/ports.json                         the ports kept across restarts (sandbox/ports.ts)
 *   <stateDir>/passwords.json                     each store user's throwaway password (sandbox/passwords.ts)
 *   <stateDir>/tls/ca.{crt,key}                   the throwaway CA that every client of the plan trusts
 *   <stateDir>/tls/hosts/<hostId>.{crt,key}       each mail host's certificate and key (PEM)
 *   <stateDir>/tls/web/<webId>.{crt,key}          each web host's (the MTA-STS policy hosts)
 *   <stateDir>/<hostId>/lock                      the pid of the process using the host's state
 *   <stateDir>/<hostId>/queue/                    the host's queue
 *   <stateDir>/<hostId>/maildir/                  the host's Maildir root:
 *     <domain>/<local>/{tmp,new,cur}              one Maildir per mailbox homed on the host
 *   <stateDir>/<hostId>/dovecot/                  a store's Dovecot (dovecot/instance.ts): its
 *     dovecot.conf, passwd, users                 configuration, as `mxplan mta` writes it
 *     run/, state/, dovecot.log                   its base_dir, state_dir and log
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

export const PASSWORDS_FILE = 'passwords.json';

export function passwordsFile(stateDir: string): string {
  return join(stateDir, PASSWORDS_FILE);
}

export interface HostLayout {
  readonly dir: string;
  readonly lock: string;
  readonly queue: string;
  readonly maildirRoot: string;
  /** A store's Dovecot: its configuration directory, base_dir, state_dir and log. */
  readonly dovecot: { readonly config: string; readonly run: string; readonly state: string; readonly log: string };
}

export function hostLayout(stateDir: string, hostId: string): HostLayout {
  const dir = join(stateDir, hostId);
  const dovecot = join(dir, 'dovecot');
  return {
    dir,
    lock: join(dir, 'lock'),
    queue: join(dir, 'queue'),
    maildirRoot: join(dir, 'maildir'),
    dovecot: {
      config: dovecot,
      run: join(dovecot, 'run'),
      state: join(dovecot, 'state'),
      log: join(dovecot, 'dovecot.log'),
    },
  };
}

export interface TlsLayout {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  /** A mail host's certificate and key. */
  host(hostId: string): { readonly cert: string; readonly key: string };
  /** A web host's (ids of web hosts and mail hosts may be equal: each kind has its directory). */
  web(webId: string): { readonly cert: string; readonly key: string };
}

export function tlsLayout(stateDir: string): TlsLayout {
  const dir = join(stateDir, 'tls');
  const files = (kind: string, id: string) => ({
    cert: join(dir, kind, `${id}.crt`),
    key: join(dir, kind, `${id}.key`),
  });
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    host: (id) => files('hosts', id),
    web: (id) => files('web', id),
  };
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
