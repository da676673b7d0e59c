/**
 * Reading a Dovecot 2.3 configuration directory (a copy of /etc/dovecot, or a store's `dovecot/`
 * as `mxplan mta` writes it) for what the plan holds: each mailbox's quota (the userdb), which
 * logins are proxied to another store (the passdb), and the number of sessions the store serves
 * (`process_limit` of `service imap`).
 *
 * dovecot.conf is read as doveconf(1) writes it: `key = value` lines inside `name {` ... `}`
 * sections. The passdb and userdb are read when they are passwd-files (`driver = passwd-file`),
 * each line `user:password:uid:gid:gecos:home:shell:extra fields`; any other driver (sql, ldap,
 * static) holds what no file shows, and is noted. `!include` is noted and not followed. As for
 * Postfix (postfix-config.ts), only files inside the directory are read.
 */
import { basename, join } from 'node:path';
import { ResourceError } from '../errors.js';
import { readInput } from './read.js';
import type { Note } from './postfix-config.js';

export interface DovecotUser {
  readonly address: string;
  /** Bytes, from `userdb_quota_rule=*:storage=SIZE`; undefined when the line has none. */
  readonly quota: number | undefined;
  readonly where: string;
}

export interface DovecotConfig {
  readonly dir: string;
  /** The userdb's users; undefined when the userdb is no passwd-file here (see notes). */
  readonly users: readonly DovecotUser[] | undefined;
  /** Users the passdb proxies to another host (`proxy=y host=...`), with that host's address. */
  readonly proxied: ReadonlyMap<string, string>;
  /** Users the passdb holds a hash for ({SCHEME}hash, as `mxplan mta --passwords` takes it). */
  readonly hashed: number;
  /** `process_limit` of `service imap`, when set. */
  readonly imapProcessLimit: number | undefined;
  readonly notes: readonly Note[];
}

/** Dovecot's size units: k, M, G, T are powers of 1024 (doc: settings types, "size"), B bytes. */
const UNITS: Readonly<Record<string, number>> = { B: 1, k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export async function readDovecotDir(dir: string): Promise<DovecotConfig> {
  const notes: Note[] = [];
  const conf = parseConf(await readInput(join(dir, 'dovecot.conf')), join(dir, 'dovecot.conf'), notes);
  const database = async (section: 'userdb' | 'passdb') => {
    const found = conf.databases.find((d) => d.section === section);
    if (!found) {
      notes.push({ text: `no ${section} in dovecot.conf`, where: 'dovecot.conf' });
      return undefined;
    }
    if (found.driver !== 'passwd-file') {
      notes.push({ text: `the ${section} driver is ${found.driver}: it holds what no file shows`, where: found.where });
      return undefined;
    }
    const path = found.args.split(/\s+/).find((a) => a.startsWith('/'));
    if (!path) {
      notes.push({ text: `the ${section} names no file`, where: found.where });
      return undefined;
    }
    // passdb and userdb files sit beside dovecot.conf (mxplan's, and Debian's /etc/dovecot).
    const name = basename(path);
    return { name, lines: (await readInput(join(dir, name))).split(/\r?\n/) };
  };

  const userdb = await database('userdb');
  const users = userdb?.lines.flatMap((line, i): DovecotUser[] => {
    const fields = passwdFields(line);
    if (!fields) return [];
    const rule = /(?:^|\s)userdb_quota_rule=\*:storage=(\d+)([BkKMGT]?)(?:\s|$)/.exec(fields.extra);
    return [
      {
        address: fields.user.toLowerCase(),
        quota: rule ? Number(rule[1]) * UNITS[rule[2] || 'B']! : undefined,
        where: `${userdb.name}:${i + 1}`,
      },
    ];
  });
  const passdb = await database('passdb');
  const proxied = new Map<string, string>();
  let hashed = 0;
  for (const line of passdb?.lines ?? []) {
    const fields = passwdFields(line);
    if (!fields) continue;
    const host = /(?:^|\s)host=(\S+)/.exec(fields.extra)?.[1];
    if (/(?:^|\s)proxy(?:_maybe)?=y(?:\s|$)/.test(fields.extra) && host) proxied.set(fields.user.toLowerCase(), host);
    else if (/^\{[A-Za-z0-9.-]+\}\S/.test(fields.password)) hashed++;
  }
  return { dir, users, proxied, hashed, imapProcessLimit: conf.imapProcessLimit, notes };
}

/** The fields of a passwd-file line, or undefined for a comment or blank line. */
function passwdFields(line: string): { user: string; password: string; extra: string } | undefined {
  if (/^\s*(#|$)/.test(line)) return undefined;
  const parts = line.split(':');
  return { user: parts[0]!, password: parts[1] ?? '', extra: parts.slice(7).join(':') };
}

interface Database {
  readonly section: 'userdb' | 'passdb';
  readonly driver: string;
  readonly args: string;
  readonly where: string;
}

/** The sections and settings read: passdb and userdb, and `service imap`'s process_limit. */
function parseConf(
  text: string,
  path: string,
  notes: Note[],
): { databases: Database[]; imapProcessLimit: number | undefined } {
  const databases: Database[] = [];
  let imapProcessLimit: number | undefined;
  const stack: { name: string; settings: Map<string, string>; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('!include')) {
      notes.push({ text: `${line}: not followed`, where: `dovecot.conf:${i + 1}` });
      return;
    }
    const open = /^(.+?)\s*\{$/.exec(line);
    if (open) {
      stack.push({ name: open[1]!.replace(/\s+/g, ' '), settings: new Map(), line: i + 1 });
      return;
    }
    if (line === '}') {
      const section = stack.pop();
      if (!section) throw new ResourceError(`${path}:${i + 1}: "}" closes no section`);
      if (stack.length === 0 && (section.name === 'passdb' || section.name === 'userdb'))
        databases.push({
          section: section.name,
          driver: section.settings.get('driver') ?? '',
          args: section.settings.get('args') ?? '',
          where: `dovecot.conf:${section.line}`,
        });
      if (stack.length === 0 && section.name === 'service imap' && section.settings.has('process_limit'))
        imapProcessLimit = Number(section.settings.get('process_limit'));
      return;
    }
    const setting = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (setting) stack.at(-1)?.settings.set(setting[1]!, setting[2]!);
  });
  return { databases, imapProcessLimit };
}
