/**
 * The users CSV reader's line handling (RFC 4180 §2: records end in CRLF; files from Unix tools
 * end them in LF) and the JSON pointers (RFC 6901 §3) that locate YAML parts, both rewritten for
 * speed in issue 17: the same rows, lines and pointers as before.
 */
import { describe, expect, it } from 'vitest';
import { parseUsersCsv } from '../../src/topology/csv.js';
import { escapePointer, pointer, segmentsOf } from '../../src/topology/source-map.js';

const rowsOf = (text: string) => {
  const { locals, hosts, lines } = parseUsersCsv(text, 'users.csv').table;
  return locals.map((local, i) => [local, hosts[i], lines[i]]);
};

describe('parseUsersCsv', () => {
  it('reads LF and CRLF records alike, with 1-based lines, past comments and blank lines', () => {
    const lf = '# exported\n\nlocal,host\nalice,store1\n\nbob,store2\n';
    expect(rowsOf(lf)).toEqual([
      ['alice', 'store1', 4],
      ['bob', 'store2', 6],
    ]);
    expect(rowsOf(lf.replaceAll('\n', '\r\n'))).toEqual(rowsOf(lf));
  });

  it('reads a last record without a line break, and a lone CR as part of the cell (trimmed)', () => {
    expect(rowsOf('local,host\nalice,store1')).toEqual([['alice', 'store1', 2]]);
    expect(rowsOf('local,host\r\nalice,store1\r')).toEqual([['alice', 'store1', 2]]);
  });

  it('points a row without a host at its line and cell', () => {
    const { table, findings } = parseUsersCsv('local,host\nalice,store1\r\nbob,\n', 'users.csv');
    expect(table.locals).toHaveLength(1);
    expect(findings).toMatchObject([{ message: 'row "bob," has no host', location: { line: 3, column: 5 } }]);
  });

  it('says an empty file (or one of comments) is empty, at line 1', () => {
    for (const text of ['', '\n', '# nothing\n\r\n'])
      expect(parseUsersCsv(text, 'users.csv').findings).toMatchObject([
        { location: { line: 1, column: 1 }, message: expect.stringMatching(/is empty/) },
      ]);
  });

  it('reports a wrong header at its own line', () => {
    expect(parseUsersCsv('# x\r\nname,host\r\n', 'users.csv').findings).toMatchObject([
      { location: { line: 2 }, message: expect.stringMatching(/^the header "name,host" must name/) },
    ]);
  });
});

describe('JSON pointers (RFC 6901 §3)', () => {
  it('escapes "~" as "~0" and "/" as "~1", and leaves other segments as they are', () => {
    expect(escapePointer('a~b/c')).toBe('a~0b~1c');
    expect(escapePointer('10.0.0.0/8')).toBe('10.0.0.0~18');
    expect(escapePointer('acme.example')).toBe('acme.example');
    expect(pointer('domains', 'a/b~', 'mx', 0)).toBe('/domains/a~1b~0/mx/0');
    expect(pointer()).toBe('');
    expect(segmentsOf(pointer('domains', 'a/b~', 'mx', 0))).toEqual(['domains', 'a/b~', 'mx', '0']);
  });
});
