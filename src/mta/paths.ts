/**
 * Where the generated configuration keeps queues, state, logs and mailboxes: the only settings
 * in which one deployment of the files differs from another. Production uses the Debian paths;
 * the lab (issue 13) runs the very same files with its own paths, one set per host, since its
 * hosts share one filesystem. Each path is written once, in a block marked "Paths" at the top of
 * main.cf, dovecot.conf and opendkim.conf, except the three that Dovecot can only take inside a
 * section (the passdb and userdb files, and the LMTP socket in Postfix's queue directory) and the
 * DKIM key directory, which each KeyTable line names; README.md lists every line.
 *
 * Postfix's own configuration directory is no setting: the maps are named relative to
 * `$config_directory`, which is wherever the files are installed (or `postfix -c DIR`).
 */
import type { Host } from '../topology/types.js';

export interface MtaPaths {
  /** Postfix queue_directory. Dovecot's LMTP socket is in it (private/dovecot-lmtp), where Postfix finds it. */
  readonly postfixQueue: string;
  /** Postfix data_directory (its caches and locks; owned by the postfix user). */
  readonly postfixData: string;
  /** Postfix maillog_file; its directory is maillog_file_prefixes. */
  readonly postfixLog: string;
  /** Where dovecot.conf and its passwd and users files are installed. */
  readonly dovecotConfig: string;
  /** Dovecot base_dir (its sockets and pid file). */
  readonly dovecotRun: string;
  /** Dovecot state_dir. */
  readonly dovecotState: string;
  /** Dovecot log_path. */
  readonly dovecotLog: string;
  /** The Maildir root: `<root>/<domain>/<local>/`, the layout mxplan's relays write. */
  readonly mailRoot: string;
  /** Where opendkim/ is installed (each opendkim*.conf names its KeyTable, SigningTable and InternalHosts there). */
  readonly opendkimConfig: string;
  /** OpenDKIM's PidFile directory. Its milter sockets are in Postfix's queue directory (opendkim.ts). */
  readonly opendkimRun: string;
  /** Where the signing hosts' private keys are installed, one `<domain>.<selector>.pem` each (KeyTable). */
  readonly dkimKeys: string;
  /** The host's TLS private key (PEM), for Postfix's STARTTLS and Dovecot's TLS alike. */
  readonly tlsKey: string;
  /** Its certificate for the host's fqdn, then any intermediates (PEM), beside the key. */
  readonly tlsChain: string;
  /** The CAs Postfix's SMTP client trusts when it verifies a next hop (smtp_tls_policy_maps `secure`). */
  readonly tlsTrust: string;
}

/** Debian 12's locations (and Postfix's and Dovecot's own defaults where they have one). */
export const PRODUCTION_PATHS: MtaPaths = {
  postfixQueue: '/var/spool/postfix',
  postfixData: '/var/lib/postfix',
  postfixLog: '/var/log/postfix.log',
  dovecotConfig: '/etc/dovecot',
  dovecotRun: '/run/dovecot',
  dovecotState: '/var/lib/dovecot',
  dovecotLog: '/var/log/dovecot.log',
  mailRoot: '/var/vmail',
  opendkimConfig: '/etc/opendkim',
  opendkimRun: '/run/opendkim',
  // Debian's opendkim package makes it, 0700 and owned by the opendkim user.
  dkimKeys: '/etc/dkimkeys',
  // One key and certificate per host, read by Postfix and Dovecot as root before they drop
  // privileges: in a directory of neither, so that one renewal (certbot's deploy hook) serves both.
  tlsKey: '/etc/ssl/mail/key.pem',
  tlsChain: '/etc/ssl/mail/chain.pem',
  // Debian's ca-certificates bundle: Postfix loads no CA unless told (tls_append_default_CA = no).
  tlsTrust: '/etc/ssl/certs/ca-certificates.crt',
};

/** The paths of each host; production gives every host the same. */
export type PathsOf = (host: Host) => MtaPaths;

export const productionPaths: PathsOf = () => PRODUCTION_PATHS;

/** The settings (file and line) each path appears in, for the output's README. */
export const PATH_SETTINGS: Readonly<Record<keyof MtaPaths, string>> = {
  postfixQueue: '`postfix/main.cf` queue_directory; `dovecot/dovecot.conf` service lmtp unix_listener',
  postfixData: '`postfix/main.cf` data_directory',
  postfixLog: '`postfix/main.cf` maillog_file, maillog_file_prefixes',
  dovecotConfig: '`dovecot/dovecot.conf` passdb and userdb args',
  dovecotRun: '`dovecot/dovecot.conf` base_dir',
  dovecotState: '`dovecot/dovecot.conf` state_dir',
  dovecotLog: '`dovecot/dovecot.conf` log_path',
  mailRoot: '`dovecot/dovecot.conf` mail_location',
  opendkimConfig: '`opendkim/opendkim*.conf` KeyTable, SigningTable, InternalHosts',
  opendkimRun: '`opendkim/opendkim*.conf` PidFile',
  dkimKeys: '`opendkim/KeyTable*` (each key file)',
  tlsKey: '`postfix/main.cf` smtpd_tls_chain_files (the first); `dovecot/dovecot.conf` ssl_key',
  tlsChain: '`postfix/main.cf` smtpd_tls_chain_files (the second); `dovecot/dovecot.conf` ssl_cert',
  tlsTrust: '`postfix/main.cf` smtp_tls_CAfile',
};

/** Paths end up unquoted in both syntaxes: absolute, without spaces, commas or a trailing slash. */
export function checkPaths(paths: MtaPaths): MtaPaths {
  for (const [name, path] of Object.entries(paths) as [string, string][])
    if (!/^\/[^\s,#"]*[^/\s,#"]$/.test(path))
      throw new Error(`mta paths: ${name} "${path}" is not a plain absolute path`);
  return paths;
}
