/**
 * Users exported from a directory, as CSV (RFC 4180: comma-separated, optional double quotes).
 *
 * The header names the columns: `local` (or `address`), `host`, and optionally `quota`.
 * Each row is checked by the schema's own definition of a user, as a YAML user is, and findings
 * point at the cell (file:line:col). A row whose quota is not a size is kept, with the default
 * quota, so the user still counts where it is homed.
 */
import type { Finding } from '../diagnostics.js';
import { validateUserRow } from './schema.js';

/**
 * The users of one CSV file, column by column: a million users are a few arrays, not a million
 * row objects (normalize makes each user from them).
 */
export interface UsersTable {
  readonly file: string;
  readonly locals: readonly string[];
  readonly hosts: readonly string[];
  /** Per row, undefined when the cell is empty or not a size (reported); undefined without a quota column. */
  readonly quotas: readonly (string | undefined)[] | undefined;
  /** Per row, its 1-based line in the CSV file. */
  readonly lines: readonly number[];
}

const KNOWN_COLUMNS = ['local', 'address', 'host', 'quota'];

export function parseUsersCsv(text: string, file: string): { table: UsersTable; findings: Finding[] } {
  const findings: Finding[] = [];
  const locals: string[] = [];
  const hosts: string[] = [];
  const lines: number[] = [];
  const problem = (line: number, column: number, message: string, fix: string) =>
    findings.push({ rule: 'users-csv', severity: 'error', message, fix, location: { file, line, column, path: '' } });
  const empty = () => ({ table: { file, locals, hosts, quotas: undefined, lines }, findings });

  // One pass over the text with indexOf; a row is sliced only into the cells kept (the
  // loader's cost per user, bench/lint.mjs).
  let start = 0;
  let stop = 0;
  let next = 0;
  let line = 0;
  /** Moves start..stop to the next line (as split(/\r?\n/): a CR is part of the line break only before a LF). */
  const nextLine = (): boolean => {
    if (next > text.length || (next === text.length && line > 0)) return false;
    const end = text.indexOf('\n', next);
    start = next;
    stop = end < 0 ? text.length : end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    next = end < 0 ? text.length + 1 : end + 1;
    line++;
    return true;
  };
  /** Whether the line is blank or a comment; the common row (printable ASCII first) needs no slice. */
  const skipped = (): boolean => {
    const first = text.charCodeAt(start);
    if (first > 32 && first < 127) return first === 35; // "#"
    const row = text.slice(start, stop);
    return row.trim() === '' || row.startsWith('#');
  };
  let headerText: string | undefined;
  while (nextLine()) {
    if (!skipped()) {
      headerText = text.slice(start, stop);
      break;
    }
  }
  if (headerText === undefined) {
    problem(
      1,
      1,
      'the users file is empty: it needs a header line such as "local,host,quota"',
      'Add a header line and one row per user.',
    );
    return empty();
  }
  const headerLine = line;
  const header = splitCsvLine(headerText).cells.map((c) => c.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const localCol = col('local') >= 0 ? col('local') : col('address');
  const hostCol = col('host');
  const quotaCol = col('quota');
  const unknown = header.filter((h) => !KNOWN_COLUMNS.includes(h));
  if (localCol < 0 || hostCol < 0 || unknown.length > 0) {
    problem(
      headerLine,
      1,
      `the header "${headerText}" must name the columns local (or address) and host, and may name quota` +
        (unknown.length ? `; unknown column ${unknown.map((u) => `"${u}"`).join(', ')}` : ''),
      'Write the header as "local,host,quota".',
    );
    return empty();
  }

  const quotas: (string | undefined)[] | undefined = quotaCol >= 0 ? [] : undefined;
  // Host ids repeat on every row: the table keeps one string per distinct id.
  const hostIds = new Map<string, string>();
  const quoted = text.includes('"');
  /** The trimmed cell `n` of the current row, without quotes ("" when the row has fewer cells). */
  const plainCell = (n: number): string => {
    let from = start;
    for (let k = 0; k < n; k++) {
      const comma = text.indexOf(',', from);
      if (comma < 0 || comma >= stop) return '';
      from = comma + 1;
    }
    const comma = text.indexOf(',', from);
    return text.slice(from, comma < 0 || comma > stop ? stop : comma).trim();
  };
  const cellOf = (cells: string[] | undefined, n: number) => (cells ? (cells[n]?.trim() ?? '') : plainCell(n));
  // Whether a quota is a size does not depend on the row: each distinct text is checked once.
  const sizes = new Set<string>();
  // Cell positions only for findings: a million good rows need none.
  const columnOf = (row: string, cell: number) => splitCsvLine(row).starts[cell] ?? row.length + 1;
  const QUOTA_FIX =
    'Write the quota as bytes or a number with KB, MB, GB, KiB, MiB or GiB, or leave the cell empty for the default.';
  while (nextLine()) {
    if (skipped()) continue;
    const cells =
      quoted && text.slice(start, stop).includes('"') ? splitCsvLine(text.slice(start, stop)).cells : undefined;
    const local = cellOf(cells, localCol);
    const hostText = cellOf(cells, hostCol);
    if (!local || !hostText) {
      const row = text.slice(start, stop);
      problem(
        line,
        columnOf(row, !local ? localCol : hostCol),
        `row "${row.length > 60 ? `${row.slice(0, 60)}…` : row}" has no ${!local ? 'local part' : 'host'}`,
        'Give every row a local part and a host id.',
      );
      continue;
    }
    let host = hostIds.get(hostText);
    if (host === undefined) hostIds.set(hostText, (host = hostText));
    let quota = quotas ? cellOf(cells, quotaCol) || undefined : undefined;
    // A row without a quota is { host }, which the definition accepts for any host text.
    if (quota !== undefined && !sizes.has(quota)) {
      const row = text.slice(start, stop);
      const at = (pointer: string) => ({
        file,
        line,
        column: columnOf(row, pointer === '/quota' ? quotaCol : hostCol),
        path: '',
      });
      const rowFindings = validateUserRow(
        { host, quota },
        { at, keyAt: at, name: (p) => `user ${local}${p ? `: ${p.slice(1)}` : ''}`, plainText: () => undefined },
      );
      if (rowFindings.length > 0) {
        findings.push(...rowFindings.map((f) => ({ ...f, rule: 'users-csv', fix: QUOTA_FIX })));
        quota = undefined;
      } else sizes.add(quota);
    }
    locals.push(local);
    hosts.push(host);
    quotas?.push(quota);
    lines.push(line);
  }
  return { table: { file, locals, hosts, quotas, lines }, findings };
}

/** One CSV record on one line, with the 1-based column each cell starts at; "" inside quotes is a literal quote. */
function splitCsvLine(line: string): { cells: string[]; starts: number[] } {
  const cells: string[] = [];
  const starts: number[] = [1];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
      starts.push(i + 2);
    } else cell += c;
  }
  cells.push(cell);
  return { cells, starts };
}
