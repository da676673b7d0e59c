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

export interface UserRow {
  readonly local: string;
  readonly host: string;
  /** Undefined when the cell is empty or not a size (reported). */
  readonly quota: string | undefined;
  /** 1-based line in the CSV file. */
  readonly line: number;
}

const KNOWN_COLUMNS = ['local', 'address', 'host', 'quota'];

export function parseUsersCsv(text: string, file: string): { rows: UserRow[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const rows: UserRow[] = [];
  const problem = (line: number, column: number, message: string, fix: string) =>
    findings.push({ rule: 'users-csv', severity: 'error', message, fix, location: { file, line, column, path: '' } });

  // One pass over the text with indexOf: a million rows are a million slices, not a regex
  // split, a line array and a cell array each (the loader's cost per user, bench/lint.mjs).
  let offset = 0;
  let line = 0;
  const nextLine = (): string | undefined => {
    if (offset > text.length || (offset === text.length && line > 0)) return undefined;
    const end = text.indexOf('\n', offset);
    const stop = end < 0 ? text.length : end;
    // As split(/\r?\n/): a CR is part of the line break only before a LF.
    const value = text.slice(offset, end > offset && text.charCodeAt(end - 1) === 13 ? end - 1 : stop);
    offset = end < 0 ? text.length + 1 : end + 1;
    line++;
    return value;
  };
  let headerText: string | undefined;
  for (let l = nextLine(); l !== undefined; l = nextLine()) {
    if (l.trim() !== '' && !l.startsWith('#')) {
      headerText = l;
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
    return { rows, findings };
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
    return { rows, findings };
  }

  // Cell positions only for findings: a million good rows need none.
  const columnOf = (row: string, cell: number) => splitCsvLine(row).starts[cell] ?? row.length + 1;
  const QUOTA_FIX =
    'Write the quota as bytes or a number with KB, MB, GB, KiB, MiB or GiB, or leave the cell empty for the default.';
  for (let row = nextLine(); row !== undefined; row = nextLine()) {
    const i = line - 1;
    if (row.trim() === '' || row.startsWith('#')) continue;
    const cells = row.includes('"') ? splitCsvLine(row).cells : row.split(',');
    const local = cells[localCol]?.trim() ?? '';
    const host = cells[hostCol]?.trim() ?? '';
    if (!local || !host) {
      problem(
        i + 1,
        columnOf(row, !local ? localCol : hostCol),
        `row "${row.length > 60 ? `${row.slice(0, 60)}…` : row}" has no ${!local ? 'local part' : 'host'}`,
        'Give every row a local part and a host id.',
      );
      continue;
    }
    let quota = quotaCol >= 0 ? cells[quotaCol]?.trim() || undefined : undefined;
    // A row without a quota is { host }, which the definition accepts for any host text.
    if (quota !== undefined) {
      const at = (pointer: string) => ({
        file,
        line: i + 1,
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
      }
    }
    rows.push({ local, host, quota, line: i + 1 });
  }
  return { rows, findings };
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
