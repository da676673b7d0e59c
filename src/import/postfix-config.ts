/**
 * Reading a Postfix configuration directory (a copy of /etc/postfix, or a host's `postfix/` as
 * `mxplan mta` writes it): main.cf, and the lookup tables and domain lists its parameters name.
 *
 * main.cf is read as postconf(5) says: `name = value` logical lines, a line starting with
 * whitespace continuing the one before, `#` lines and blank lines ignored, `$name` and `${name}`
 * expanded (with Postfix's defaults for the parameters mxplan reads). Tables are read from their
 * source text, as postmap(1) does: `key value` lines, the value after the first whitespace;
 * `texthash:` is that file, and `hash:`, `lmdb:`, `btree:`, `cdb:`, `dbm:` and `sdbm:` are built
 * by postmap from the text file the parameter names (postmap adds `.db` or `.lmdb`), so that text
 * file is read. `inline:{...}` is read too. Any other table type (ldap:, mysql:, pcre:, ...) holds what a file cannot show: it is
 * named in a note and left out.
 *
 * Files are only ever read inside the given directory: a table named under the configuration
 * directory (`${config_directory}/x`, `/etc/postfix/x`) is that directory's `x`; a table anywhere
 * else is looked for by its name in the directory, which is a guess the notes say.
 */
import { basename, join } from 'node:path';
import { GENERATED_MARK } from '../dns/zone-file.js';
import { ResourceError } from '../errors.js';
import { readInput } from './read.js';

/** Something the reader had to guess or leave out, with where it read it. */
export interface Note {
  readonly text: string;
  /** "main.cf:12" */
  readonly where: string;
}

export interface TableEntry {
  readonly key: string;
  readonly value: string;
  /** "transport:4" (the file, relative to the directory, and the line). */
  readonly where: string;
}

/** The defaults of the parameters read here (postconf -d, Postfix 3.7, compatibility_level 3.6). */
const DEFAULTS: Readonly<Record<string, string>> = {
  config_directory: '/etc/postfix',
  inet_interfaces: 'all',
  smtp_helo_name: '$myhostname',
  maximal_queue_lifetime: '5d',
  hopcount_limit: '50',
  virtual_mailbox_domains: '$virtual_mailbox_maps',
  relay_domains: '',
  relay_recipient_maps: '',
  virtual_mailbox_maps: '',
  virtual_alias_maps: '$virtual_maps',
  virtual_maps: '',
  transport_maps: '',
};

/** Table types whose source is a text file of `key value` lines (DATABASE_README). */
const FILE_TYPES = new Set(['texthash', 'hash', 'lmdb', 'btree', 'cdb', 'dbm', 'sdbm']);

export class PostfixConfig {
  readonly notes: Note[] = [];
  private readonly params = new Map<string, { value: string; line: number }>();

  /** Whether main.cf is one `mxplan mta` wrote (its first line says so). */
  readonly generatedByMxplan: boolean;

  private constructor(
    /** The directory read (holding main.cf). */
    readonly dir: string,
    text: string,
  ) {
    this.generatedByMxplan = text.startsWith(`# ${GENERATED_MARK}`);
    this.parse(text);
  }

  static async read(dir: string): Promise<PostfixConfig> {
    return new PostfixConfig(dir, await readInput(join(dir, 'main.cf')));
  }

  /** Whether main.cf sets the parameter (rather than leaving Postfix's default). */
  has(name: string): boolean {
    return this.params.has(name);
  }

  /** "main.cf:12" for a parameter set there, "main.cf" for a default. */
  where(name: string): string {
    const line = this.params.get(name)?.line;
    return line === undefined ? 'main.cf' : `main.cf:${line}`;
  }

  /** The parameter's value, expanded; Postfix's default when main.cf does not set it. */
  get(name: string): string {
    return this.expand(this.raw(name), new Set([name]));
  }

  /** A list parameter's elements (postconf(5)). */
  list(name: string): string[] {
    return splitList(this.get(name));
  }

  /**
   * Every entry of the tables a parameter names, in order, duplicates kept (the first wins in a
   * lookup). Table types that are no file are noted and left out.
   */
  async table(name: string): Promise<TableEntry[]> {
    const entries: TableEntry[] = [];
    for (const ref of this.list(name)) entries.push(...(await this.tableAt(ref, name)));
    return entries;
  }

  /**
   * A domain list (virtual_mailbox_domains, relay_domains): names written in the parameter,
   * `/file` names one a line, and tables whose keys are the domains (postconf(5) "type:table").
   */
  async domains(name: string): Promise<{ domain: string; where: string }[]> {
    const found: { domain: string; where: string }[] = [];
    for (const item of this.list(name)) {
      if (item.startsWith('/')) {
        const file = this.localFile(name, item);
        if (!file) continue;
        (await readInput(join(this.dir, file))).split(/\r?\n/).forEach((line, i) => {
          const domain = /^\s*([^\s#]+)/.exec(line)?.[1];
          if (domain) found.push({ domain: domain.toLowerCase(), where: `${file}:${i + 1}` });
        });
      } else if (item.includes(':')) {
        for (const e of await this.tableAt(item, name)) found.push({ domain: e.key.toLowerCase(), where: e.where });
      } else found.push({ domain: item.toLowerCase(), where: this.where(name) });
    }
    return found;
  }

  private raw(name: string): string {
    return this.params.get(name)?.value ?? DEFAULTS[name] ?? '';
  }

  /** `$name`, `${name}`; `${name?text}` and `${name:text}` (set, unset) as postconf(5) has them. */
  private expand(value: string, seen: ReadonlySet<string>): string {
    return value.replace(
      /\$(?:\{([A-Za-z0-9_]+)(?:([?:])\{?([^}]*)\}?)?\}|([A-Za-z0-9_]+))/g,
      (_m, braced: string | undefined, op: string | undefined, text: string | undefined, bare: string | undefined) => {
        const name = (braced ?? bare)!;
        if (seen.has(name)) return ''; // a loop: Postfix refuses it; nothing to expand
        const value = this.expand(this.raw(name), new Set([...seen, name]));
        if (op === '?') return value !== '' ? this.expand(text ?? '', seen) : '';
        if (op === ':') return value === '' ? this.expand(text ?? '', seen) : '';
        return value;
      },
    );
  }

  private parse(text: string): void {
    let current: { name: string; value: string; line: number } | undefined;
    const finish = () => {
      if (current) this.params.set(current.name, { value: current.value.trim(), line: current.line });
      current = undefined;
    };
    text.split(/\r?\n/).forEach((line, i) => {
      if (/^\s*(#|$)/.test(line)) return;
      if (/^\s/.test(line)) {
        if (!current)
          throw new ResourceError(
            `${join(this.dir, 'main.cf')}:${i + 1}: a continuation line with nothing to continue`,
          );
        current.value += ` ${line.trim()}`;
        return;
      }
      finish();
      const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
      if (!m)
        throw new ResourceError(
          `${join(this.dir, 'main.cf')}:${i + 1}: expected "name = value", found "${clip(line)}"`,
        );
      current = { name: m[1]!, value: m[2]!, line: i + 1 };
    });
    finish();
  }

  /** The entries of one table reference ("texthash:${config_directory}/x", expanded), named in `parameter`. */
  async tableAt(ref: string, parameter: string): Promise<TableEntry[]> {
    const m = /^(?:proxy:)?([a-z0-9]+):(.*)$/.exec(ref);
    if (!m) {
      this.notes.push({ text: `${parameter}: "${ref}" is no table; left out`, where: this.where(parameter) });
      return [];
    }
    const [, type, path] = m as unknown as [string, string, string];
    if (type === 'inline') return inlineTable(path, this.where(parameter));
    if (!FILE_TYPES.has(type)) {
      this.notes.push({
        text: `${parameter}: a ${type}: table holds what no file shows (${ref}); left out`,
        where: this.where(parameter),
      });
      return [];
    }
    const file = this.localFile(parameter, path);
    return file ? parseTable(await readInput(join(this.dir, file)), file, join(this.dir, file)) : [];
  }

  /** The file in the directory that a path in main.cf stands for, or undefined (noted). */
  private localFile(parameter: string, path: string): string | undefined {
    const base = `${this.get('config_directory').replace(/\/$/, '')}/`;
    if (path.startsWith(base) && !path.slice(base.length).includes('..')) return path.slice(base.length);
    this.notes.push({
      text: `${parameter}: ${path} is outside the configuration directory; read as ${basename(path)} here (a guess)`,
      where: this.where(parameter),
    });
    return basename(path);
  }
}

/**
 * The elements of a list: separated by commas and whitespace, where text in braces is one
 * element with its blanks and commas ("inline:{ a=b, c=d }"), as Postfix's mystrtok reads it.
 */
export function splitList(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let depth = 0;
  for (const ch of value) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && /[\s,]/.test(ch)) {
      if (current) items.push(current);
      current = '';
    } else current += ch;
  }
  if (current) items.push(current);
  return items;
}

/** `key value` lines, as postmap(1) reads them: `#` lines and blank lines skipped, continuations joined. */
function parseTable(text: string, file: string, path: string): TableEntry[] {
  const entries: TableEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#|$)/.test(line)) return;
    if (/^\s/.test(line)) {
      const last = entries.pop();
      if (!last) throw new ResourceError(`${path}:${i + 1}: a continuation line with nothing to continue`);
      // postmap joins the lines as they are, the continuation's leading blanks kept.
      entries.push({ ...last, value: `${last.value}${line.trimEnd()}` });
      return;
    }
    const m = /^(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) throw new ResourceError(`${path}:${i + 1}: expected "key value", found "${clip(line)}"`);
    entries.push({ key: m[1]!, value: m[2]!, where: `${file}:${i + 1}` });
  });
  return entries;
}

/** `inline:{ key=value, { key = text with, commas } }` (DATABASE_README, Postfix 3.0). */
function inlineTable(body: string, where: string): TableEntry[] {
  const inner = /^\{(.*)\}$/s.exec(body.trim())?.[1] ?? '';
  const items = inner.match(/\{[^}]*\}|[^,\s{}][^,{}]*/g) ?? [];
  return items.flatMap((item) => {
    const m = /^\{?\s*([^=\s]+)\s*=\s*(.*?)\s*\}?$/.exec(item.trim());
    return m ? [{ key: m[1]!, value: m[2]!, where }] : [];
  });
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
