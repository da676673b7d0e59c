/**
 * Dovecot 2.3 configuration of one store (Debian 12 ships 2.3.19; 2.4 renamed most settings, so
 * the version is explicit): dovecot.conf, and two passwd-file databases.
 *
 * - `users` (userdb): the mailboxes stored here, with their quota; Postfix delivers to them
 *   over LMTP (postfix.ts's virtual_transport) into `<root>/<domain>/<local>/`, the Maildir
 *   layout mxplan's relays write;
 * - `passwd` (passdb): who logs in here over IMAP and POP3. Passwords never live in the plan:
 *   a hash comes from `--passwords` (passwords.ts), and a user without one is listed as a comment
 *   and cannot log in. With `logins.proxy`, the users of the other stores are listed too, each
 *   proxied to their home (Dovecot `proxy`, `host=`), which checks the password: mxplan knows
 *   which users are local, so it writes `proxy` for the others rather than `proxy_maybe` for all,
 *   and never depends on Dovecot recognising its own address.
 *
 * `process_limit` of imap and pop3 is the host's planned connections: one process per session
 * (Dovecot's high-security mode), so the plan's limit is the server's.
 */
import { GENERATED_MARK } from '../dns/zone-file.js';
import type { HostPolicy } from '../routing/policy.js';
import type { Host, User } from '../topology/types.js';
import type { MtaPaths } from './paths.js';
import { LMTP_SOCKET } from './postfix.js';

/** Address to hash, from --passwords; hashes of users who are not stored here are not used. */
export type Passwords = ReadonlyMap<string, string>;

const HEADER = `# ${GENERATED_MARK}: edit the topology, not this file.`;

/** RFC 8314 §7: imaps and pop3s, TLS from the first byte. */
export const TLS_PORTS = { imap: 993, pop3: 995 } as const;

/** The files of dovecot/, by name; none for a relay-only host. */
export function dovecotFiles(policy: HostPolicy, paths: MtaPaths, passwords: Passwords): Map<string, string> {
  if (policy.host.role === 'relay') return new Map();
  const stored = byAddress([...policy.storedUsers()]);
  // A user homed on a relay-only host has no mailbox anywhere to log in to (lint: user-home-store).
  const proxied = policy.plan.logins.proxy
    ? byAddress([...policy.forwardedUsers()].filter((f) => f.to.role === 'store').map((f) => f.user))
    : [];
  return new Map([
    ['dovecot.conf', dovecotConf(policy, paths)],
    ['passwd', passdb(policy.host, stored, proxied, passwords)],
    ['users', userdb(policy.host, stored)],
  ]);
}

function byAddress(users: User[]): User[] {
  return users.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function dovecotConf(policy: HostPolicy, paths: MtaPaths): string {
  const { host, plan } = policy;
  const connections = host.limits.connections;
  const proxy = plan.logins.proxy;
  // The other stores' proxies log in here for their clients (proxy.ts of Dovecot: the ID command
  // carries the client's address from a trusted network; a trusted connection counts as secured).
  const trusted = proxy
    ? [...plan.hosts.values()]
        .filter((h) => h.role === 'store' && h !== host)
        .flatMap((h) => [...h.ipv4.map((a) => `${a}/32`), ...h.ipv6.map((a) => `${a}/128`)])
    : [];
  const limit = (indent: string) =>
    connections === undefined
      ? [`${indent}# no limits.connections planned: Dovecot's default process_limit`]
      : [`${indent}process_limit = ${connections}`];
  const lines = [
    HEADER,
    `# Dovecot 2.3 configuration of ${host.id} (${host.fqdn}), a store: the mailboxes homed here,`,
    '# delivered by Postfix over LMTP, read over IMAP and POP3.',
    '',
    '# Paths: the only settings that differ between deployments of these files (README.md); the',
    '# passdb and userdb files and the LMTP socket below are paths too.',
    `base_dir = ${paths.dovecotRun}`,
    `state_dir = ${paths.dovecotState}`,
    `log_path = ${paths.dovecotLog}`,
    "# <root>/<domain>/<local>/{cur,new,tmp}: the layout mxplan's relays write.",
    `mail_location = maildir:${paths.mailRoot}/%d/%n`,
    "# The host's certificate chain and key (README.md: the operator installs them; `<` reads the file).",
    `ssl_cert = <${paths.tlsChain}`,
    `ssl_key = <${paths.tlsKey}`,
    '',
    'protocols = imap pop3 lmtp',
    `listen = ${[...host.ipv4, ...host.ipv6].join(', ')}`,
    '# Every mailbox belongs to one system user (README.md: create it).',
    'mail_uid = vmail',
    'mail_gid = vmail',
    '',
    '# TLS: STARTTLS on imap and pop3 (RFC 2595), implicit TLS on imaps and pop3s (RFC 8314 §3.3).',
    '# ssl = required: no password crosses the network in clear; a login is taken after STARTTLS,',
    '# on imaps and pop3s, and from what Dovecot counts as secured: this host itself (and the other',
    "# stores' login proxies, when logins are proxied).",
    'ssl = required',
    'disable_plaintext_auth = yes',
    'auth_mechanisms = plain login',
    ...(trusted.length > 0 ? [`login_trusted_networks = ${trusted.join(' ')}`] : []),
    '',
    "# Quota: each user's from the plan (users), counted by Dovecot itself.",
    'mail_plugins = quota',
    'protocol imap {',
    '  mail_plugins = $mail_plugins imap_quota',
    '}',
    'plugin {',
    '  quota = count:User quota',
    '  quota_vsizes = yes',
    '}',
    '',
    'passdb {',
    '  driver = passwd-file',
    `  args = username_format=%Lu ${paths.dovecotConfig}/passwd`,
    '}',
    'userdb {',
    '  driver = passwd-file',
    `  args = username_format=%Lu ${paths.dovecotConfig}/users`,
    '}',
    '',
    "# Postfix delivers here (its virtual_transport), in its own queue directory's private/.",
    'service lmtp {',
    `  unix_listener ${paths.postfixQueue}/${LMTP_SOCKET} {`,
    '    mode = 0600',
    '    user = postfix',
    '    group = postfix',
    '  }',
    '}',
    ...loginService('imap', 143, proxy ? limit('  ') : []),
    ...loginService('pop3', 110, proxy ? limit('  ') : []),
    '',
    `# Sessions: the host's planned connections (limits.connections), one process each.`,
    'service imap {',
    ...limit('  '),
    '}',
    'service pop3 {',
    ...limit('  '),
    '}',
    '',
    '# Submission with SASL (issue 15): Postfix authenticates submitters through this socket.',
    '#service auth {',
    `#  unix_listener ${paths.postfixQueue}/private/auth {`,
    '#    mode = 0660',
    '#    user = postfix',
    '#    group = postfix',
    '#  }',
    '#}',
  ];
  return `${lines.join('\n')}\n`;
}

/** A login service on its plain port (STARTTLS) and its TLS port (RFC 8314 §7). Proxied sessions live in login processes. */
function loginService(protocol: 'imap' | 'pop3', port: number, limit: readonly string[]): string[] {
  return [
    '',
    `service ${protocol}-login {`,
    `  inet_listener ${protocol} {`,
    `    port = ${port}`,
    '  }',
    `  inet_listener ${protocol}s {`,
    `    port = ${TLS_PORTS[protocol]}`,
    '    ssl = yes',
    '  }',
    ...limit,
    '}',
  ];
}

/**
 * A passwd-file line: user:password:uid:gid:gecos:home:shell:extra fields. A userdb line needs the
 * uid and gid fields even empty (Dovecot then takes mail_uid, mail_gid), or Dovecot refuses the
 * user as "missing userdb info"; a passdb line needs only user:password.
 */
function passwdLine(user: string, password: string, extra: readonly string[]): string {
  return `${user}:${password}:::::${extra.length > 0 ? `:${extra.join(' ')}` : ''}`;
}

function passdb(host: Host, stored: readonly User[], proxied: readonly User[], passwords: Passwords): string {
  const lines = [
    HEADER,
    `# Dovecot passdb (passwd-file) of ${host.id}: who logs in here over IMAP and POP3.`,
    '# Passwords never live in the plan: a passwords file of address:{SCHEME}hash lines',
    '# (doveadm pw -s SHA512-CRYPT) fills them in (README.md). A user written as a comment has no',
    '# hash yet and cannot log in.',
  ];
  for (const user of stored) {
    const hash = passwords.get(user.address);
    lines.push(hash ? `${user.address}:${hash}` : `# ${user.address}: no password hash yet`);
  }
  if (proxied.length > 0) {
    lines.push('# Homed on another store: proxied there, which checks the password (logins.proxy).');
    for (const user of proxied)
      lines.push(passwdLine(user.address, '', ['nopassword=y', 'proxy=y', `host=${proxyAddress(host, user.home!)}`]));
  }
  return `${lines.join('\n')}\n`;
}

/** The home's first address in a family this host has (lint: login-proxy-reachable), else its first. */
function proxyAddress(from: Host, home: Host): string {
  if (from.ipv4.length > 0 && home.ipv4[0]) return home.ipv4[0];
  if (from.ipv6.length > 0 && home.ipv6[0]) return home.ipv6[0];
  return home.ipv4[0] ?? home.ipv6[0] ?? home.fqdn;
}

function userdb(host: Host, stored: readonly User[]): string {
  const lines = [
    HEADER,
    `# Dovecot userdb (passwd-file) of ${host.id}: the mailboxes stored here, with their quota.`,
    ...stored.map((u) =>
      passwdLine(u.address, '', u.quota === undefined ? [] : [`userdb_quota_rule=*:storage=${size(u.quota)}`]),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** Dovecot sizes: the largest exact binary unit (Dovecot's k, M, G, T are powers of 1024), else bytes. */
export function size(bytes: number): string {
  for (const [unit, power] of [
    ['T', 4],
    ['G', 3],
    ['M', 2],
    ['k', 1],
  ] as const)
    if (bytes > 0 && bytes % 1024 ** power === 0) return `${bytes / 1024 ** power}${unit}`;
  return `${bytes}B`;
}
