import { describe, expect, it } from 'vitest';
import { dateSerial, maskSerial, nextSerial, readSerial, serialGreater } from '../../src/dns/serial.js';

describe('dateSerial', () => {
  it.each([
    ['2026-11-28T23:59:59Z', 2026112800],
    ['2026-01-02T00:00:00Z', 2026010200],
    ['2026-01-01T23:30:00-02:00', 2026010200], // the UTC date counts
  ])('%s → %d', (iso, serial) => {
    expect(dateSerial(new Date(iso))).toBe(serial);
  });
});

describe('serialGreater (RFC 1982 §3.2)', () => {
  it.each([
    [2, 1, true],
    [1, 2, false],
    [1, 1, false],
    [0, 4294967295, true], // wrapped around
    [4294967295, 0, false],
    [2 ** 31 + 5, 3, false], // more than half the space ahead counts as behind
  ])('%d > %d is %s', (a, b, expected) => {
    expect(serialGreater(a, b)).toBe(expected);
  });
});

describe('nextSerial', () => {
  const today = 2026112800;
  it.each([
    ['a new zone takes today', undefined, today],
    ['an older serial moves to today', 2026010105, today],
    ["today's first serial counts up", 2026112800, 2026112801],
    ["today's later serial counts up", 2026112807, 2026112808],
    ['a serial from the future counts up', 2030010100, 2030010101],
    ['a small counter-style serial moves to today', 42, today],
    ['a serial more than 2^31 ahead is behind in RFC 1982 terms: today', 4294967295, today],
  ])('%s', (_, previous, expected) => {
    const next = nextSerial(previous, today);
    expect(next).toBe(expected);
    if (previous !== undefined) expect(serialGreater(next, previous)).toBe(true);
  });
});

it('wraps past 2^32 - 1 to 0, which RFC 1982 counts as greater', () => {
  expect(nextSerial(4294967295, 3000000000)).toBe(0);
  expect(serialGreater(0, 4294967295)).toBe(true);
});

describe('readSerial and maskSerial', () => {
  const ours = [
    '; acme.example: mail domain.',
    '$ORIGIN acme.example.',
    '$TTL 3600',
    '@      IN SOA   ns1.infra.example. hostmaster.infra.example. (',
    '                    2026112803 ; serial',
    '                    7200       ; refresh (2 hours)',
    '                )',
    '       IN NS    ns1.infra.example.',
  ].join('\n');

  it.each([
    ['a file of ours', ours, 2026112803],
    ['a one-line SOA with a TTL', 'example.org. 300 IN SOA ns.example.org. h.example.org. 7 3600 900 604800 300\n', 7],
    [
      'an SOA after comments holding the word SOA',
      '; SOA below ( 1 2 3\n@ SOA a. b. ( ; the serial follows\n 2024 1 2 3 4 )\n',
      2024,
    ],
    ['no SOA', '@ IN NS ns.example.org.\n', undefined],
    ['a serial out of range', '@ SOA a. b. 4294967296 1 2 3 4\n', undefined],
  ])('reads %s', (_, text, serial) => {
    expect(readSerial(text)).toBe(serial);
  });

  it('masks only the serial, so two versions differing in it compare equal', () => {
    const other = ours.replace('2026112803', '2026112900');
    expect(maskSerial(other)).toBe(maskSerial(ours));
    expect(maskSerial(ours)).not.toContain('2026112803');
    expect(maskSerial(ours.replace('7200', '7201'))).not.toBe(maskSerial(ours));
  });
});
