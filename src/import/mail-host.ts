/**
 * One mail host as its Postfix configuration (and its Dovecot's, for a store) describes it, in the
 * plan's terms: its identity (myhostname, smtp_helo_name, inet_interfaces), its role, and the
 * tables that `mxplan mta` prints from the routing policy (docs/mta.md), read back:
 *
 * - virtual_mailbox_domains and virtual_mailbox_maps: a store, the domains it is final for and
 *   their users;
 * - transport_maps `smtp:[fqdn]` (or relay:, lmtp:): a user forwarded to the home with that name;
 * - virtual_alias_maps: the aliases and their members;
 * - relay_domains and relay_recipient_maps: a backup MX, its domains and their recipients;
 * - check_recipient_access `reject_unknown_recipient_domain`: a domain with a null MX;
 * - maximal_queue_lifetime, hopcount_limit, mynetworks (the plan's hosts, in plan order);
 * - Dovecot's userdb (quotas), passdb (proxied logins) and imap process_limit (connections).
 *
 * A host as `mxplan mta` writes it (`<id>/postfix/`, `<id>/dovecot/`, main.cf marked as generated)
 * is named by its directory; any other by the first label of myhostname, a guess noted.
 */
import { access, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { canonicalIP, familyOf } from '../topology/ip.js';
import { canonicalName } from '../topology/names.js';
import { readDovecotDir, type DovecotConfig } from './dovecot-config.js';
import { PostfixConfig, splitList, type TableEntry } from './postfix-config.js';

export interface Located<T> {
  readonly value: T;
  /** "mail1/postfix/transport:4" */
  readonly where: string;
}

export interface MailHost {
  readonly id: string;
  /** Why the id is what it is, when it is a guess. */
  readonly idGuess: string | undefined;
  /** How the host's files are named in notes ("mail1/postfix"). */
  readonly label: string;
  readonly fqdn: string | undefined;
  /** smtp_helo_name, when it is not myhostname. */
  readonly helo: string | undefined;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly role: 'store' | 'relay' | undefined;
  readonly finalDomains: readonly Located<string>[];
  /** virtual_mailbox_maps: address to the Maildir under the mail root. */
  readonly mailboxes: ReadonlyMap<string, Located<string>>;
  /** transport_maps entries that forward a user to a host by name (smtp:[fqdn]): address to fqdn. */
  readonly forwards: ReadonlyMap<string, Located<string>>;
  /** virtual_alias_maps: address to its members, in order. */
  readonly aliases: ReadonlyMap<string, Located<readonly string[]>>;
  readonly relayDomains: readonly Located<string>[];
  readonly relayRecipients: ReadonlyMap<string, Located<string>>;
  /** Domains refused as null-MX domains (RFC 7505), by check_recipient_access. */
  readonly nullMx: readonly string[];
  /** Domains sent to over verified TLS only (smtp_tls_policy_maps `secure`): MTA-STS enforce. */
  readonly tlsSecure: readonly string[];
  /** Seconds; from maximal_queue_lifetime. */
  readonly queueLifetime: number;
  readonly hopLimit: number;
  /** myorigin, when main.cf sets it: the domain of a bare `postmaster` (RFC 5321 §4.5.1). */
  readonly myorigin: string | undefined;
  /** mynetworks, the addresses in order (the plan's hosts, in plan order, in mxplan's files). */
  readonly mynetworks: readonly string[];
  /** The store's Dovecot, when its directory was given or found beside. */
  readonly dovecot: DovecotConfig | undefined;
  readonly notes: readonly Located<string>[];
}

/**
 * The Postfix directories a `--postfix DIR` stands for: DIR itself (it holds main.cf), a host
 * directory as `mxplan mta` writes it (DIR/postfix/main.cf), or the top of such a tree (every
 * DIR/<host>/postfix/main.cf).
 */
export async function postfixDirs(dir: string): Promise<string[]> {
  if (await exists(join(dir, 'main.cf'))) return [dir];
  if (await exists(join(dir, 'postfix', 'main.cf'))) return [join(dir, 'postfix')];
  const hosts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => []))
    if (entry.isDirectory() && (await exists(join(dir, entry.name, 'postfix', 'main.cf'))))
      hosts.push(join(dir, entry.name, 'postfix'));
  return hosts.sort();
}

/**
 * Reads one host. `dovecotDir` is its Dovecot directory when given; otherwise a `dovecot`
 * directory beside the Postfix one is used when it holds a dovecot.conf.
 */
export async function readMailHost(postfixDir: string, dovecotDir?: string): Promise<MailHost> {
  const config = await PostfixConfig.read(postfixDir);
  // mxplan's own files say so; their directory is the host's id (mta-dir.ts).
  const mxplanLayout = config.generatedByMxplan && basename(postfixDir) === 'postfix';
  const label = mxplanLayout ? `${basename(dirname(resolve(postfixDir)))}/postfix` : basename(resolve(postfixDir));
  const notes: Located<string>[] = [];
  const note = (text: string, where: string) => notes.push({ value: text, where: `${label}/${where}` });
  const at = <T>(value: T, where: string): Located<T> => ({ value, where: `${label}/${where}` });

  const fqdn = config.has('myhostname') ? canonicalName(config.get('myhostname')) : undefined;
  if (!fqdn) note("main.cf sets no myhostname: the host's name is Postfix's system default, not known here", 'main.cf');
  const helo = config.get('smtp_helo_name');
  const { ipv4, ipv6 } = interfaces(config, note);

  const finalDomains = (
    config.has('virtual_mailbox_domains') ? await config.domains('virtual_mailbox_domains') : []
  ).map((d) => at(d.domain, d.where));
  const mailboxEntries = await config.table('virtual_mailbox_maps');
  const relayDomains = (await config.domains('relay_domains')).map((d) => at(d.domain, d.where));
  const role =
    finalDomains.length > 0 || mailboxEntries.length > 0 ? 'store' : relayDomains.length > 0 ? 'relay' : undefined;
  if (role === undefined)
    note('neither virtual_mailbox_domains nor relay_domains: no role the plan knows (store or backup MX)', 'main.cf');

  const mailboxes = keyed(
    mailboxEntries.filter((e) => isAddress(e.key, note, e.where)),
    (e) => at(e.value, e.where),
  );
  const forwards = new Map<string, Located<string>>();
  for (const e of await config.table('transport_maps')) {
    const next = /^(?:smtp|relay|lmtp):\[?([^\]:\s]+)\]?(?::\d+)?$/.exec(e.value)?.[1];
    if (next && e.key.includes('@')) {
      if (!forwards.has(e.key.toLowerCase())) forwards.set(e.key.toLowerCase(), at(canonicalName(next), e.where));
    } else if (!/^error:/.test(e.value))
      // error: entries are the refusals mxplan derives from the plan (other domains, null MX).
      note(`transport ${e.key} ${e.value}: no forward to a host the plan can state; left out`, e.where);
  }
  const aliases = new Map<string, Located<readonly string[]>>();
  for (const e of await config.table('virtual_alias_maps')) {
    if (!isAddress(e.key, note, e.where) || aliases.has(e.key.toLowerCase())) continue;
    const members = e.value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((m) => m.toLowerCase());
    aliases.set(e.key.toLowerCase(), at(members, e.where));
  }
  const relayRecipients = keyed(
    (await config.table('relay_recipient_maps')).filter((e) => isAddress(e.key, note, e.where)),
    (e) => at(e.value, e.where),
  );
  const nullMx: string[] = [];
  for (const ref of accessTables(config.get('smtpd_relay_restrictions'), 'check_recipient_access'))
    for (const e of await config.tableAt(ref, 'smtpd_relay_restrictions'))
      if (e.value === 'reject_unknown_recipient_domain') nullMx.push(e.key.toLowerCase());

  const tlsSecure = (await config.table('smtp_tls_policy_maps'))
    .filter((e) => /^secure\b/.test(e.value))
    .map((e) => e.key.toLowerCase());

  const dovecot = await dovecotOf(postfixDir, dovecotDir, role);
  for (const n of [...config.notes, ...(dovecot?.notes ?? [])]) note(n.text, n.where);
  return {
    id: mxplanLayout ? basename(dirname(resolve(postfixDir))) : (fqdn?.split('.')[0] ?? basename(resolve(postfixDir))),
    idGuess: mxplanLayout ? undefined : `the id is guessed from ${fqdn ? 'myhostname' : 'the directory name'}`,
    label,
    fqdn,
    helo: helo && helo !== fqdn ? canonicalName(helo) : undefined,
    ipv4,
    ipv6,
    role,
    finalDomains,
    mailboxes,
    forwards,
    aliases,
    relayDomains,
    relayRecipients,
    nullMx,
    tlsSecure,
    queueLifetime: postfixTime(config.get('maximal_queue_lifetime'), 'd'),
    hopLimit: Number(config.get('hopcount_limit')),
    myorigin: config.has('myorigin') ? canonicalName(config.get('myorigin')) : undefined,
    mynetworks: config.list('mynetworks').map((n) => canonicalIP(n.replace(/^\[|\](?=\/|$)/g, '').split('/')[0]!)),
    dovecot,
    notes,
  };
}

/** inet_interfaces as addresses; `all`, `loopback-only` or names say nothing of the host's own. */
function interfaces(
  config: PostfixConfig,
  note: (text: string, where: string) => void,
): { ipv4: string[]; ipv6: string[] } {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const item of config.list('inet_interfaces')) {
    const address = item.replace(/^\[(.*)\]$/, '$1');
    const family = familyOf(address);
    if (family === 4) ipv4.push(address);
    else if (family === 6) ipv6.push(canonicalIP(address));
    else
      note(
        `inet_interfaces ${item}: not an address, so the host's addresses are not in main.cf`,
        config.where('inet_interfaces'),
      );
  }
  return { ipv4, ipv6 };
}

/** The tables named after `check_recipient_access` in a restriction list. */
function accessTables(restrictions: string, check: string): string[] {
  const words = splitList(restrictions);
  return words.flatMap((w, i) => (w === check && words[i + 1] ? [words[i + 1]!] : []));
}

/** Postfix time values: a number and a unit (s m h d w), the parameter's default unit when bare. */
function postfixTime(value: string, unit: 's' | 'd'): number {
  const m = /^(\d+)([smhdw]?)$/.exec(value.trim());
  const size = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
  return m ? Number(m[1]) * size[(m[2] || unit) as keyof typeof size] : NaN;
}

function isAddress(key: string, note: (text: string, where: string) => void, where: string): boolean {
  if (/^[^@\s]+@[^@\s]+$/.test(key)) return true;
  note(
    key.startsWith('@')
      ? `${key}: a catch-all the plan cannot state (every address is planned); left out`
      : `${key}: not a full address; left out`,
    where,
  );
  return false;
}

function keyed(
  entries: readonly TableEntry[],
  value: (e: TableEntry) => Located<string>,
): Map<string, Located<string>> {
  const map = new Map<string, Located<string>>();
  for (const e of entries) if (!map.has(e.key.toLowerCase())) map.set(e.key.toLowerCase(), value(e));
  return map;
}

async function dovecotOf(
  postfixDir: string,
  given: string | undefined,
  role: MailHost['role'],
): Promise<DovecotConfig | undefined> {
  if (given) return readDovecotDir(given);
  const beside = join(dirname(resolve(postfixDir)), 'dovecot');
  if (role === 'store' && (await exists(join(beside, 'dovecot.conf')))) return readDovecotDir(beside);
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
