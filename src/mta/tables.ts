/**
 * Postfix lookup tables as `texthash:` files (DATABASE_README): "key value" lines that Postfix
 * reads when a process starts, with no postmap(1) step and no binary file beside them, so the
 * generated directory is deployable as it is and diffable line by line. Never `hash:`, whose
 * Berkeley DB is leaving Postfix (NON_BERKELEYDB_README).
 *
 * Rows are sorted by key (code-unit order): the same plan gives the same bytes.
 */
import { GENERATED_MARK } from '../dns/zone-file.js';
import { MtaError } from './errors.js';

export interface Table {
  /** The file name, under postfix/. */
  readonly name: string;
  /** What the table is, for its header ("Postfix virtual_mailbox_maps: ..."). */
  readonly about: readonly string[];
  readonly rows: readonly (readonly [key: string, value: string])[];
}

/** How main.cf names a table: relative to the configuration directory, wherever that is. */
export function tableRef(name: string): string {
  return `texthash:\${config_directory}/${name}`;
}

export function formatTable(table: Table): string {
  const rows = [...table.rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [`# ${GENERATED_MARK}: edit the topology, not this file.`, ...table.about.map((l) => `# ${l}`)];
  let previous: string | undefined;
  for (const [key, value] of rows) {
    // texthash: a key ends at the first blank; a line starting with # is a comment (postmap(1)).
    if (!/^[^\s#]\S*$/.test(key)) throw new MtaError(`"${key}" cannot be a key of the Postfix table ${table.name}`);
    if (key === previous) throw new Error(`mta: ${table.name} has the key ${key} twice`);
    if (value === '' || /[\n\r]/.test(value)) throw new Error(`mta: ${table.name}: bad value for ${key}`);
    lines.push(`${key} ${value}`);
    previous = key;
  }
  return `${lines.join('\n')}\n`;
}
