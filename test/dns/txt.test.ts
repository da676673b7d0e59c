import { describe, expect, it } from 'vitest';
import { characterStrings } from '../../src/dns/txt.js';

const octets = (s: string) => Buffer.byteLength(s, 'utf8');

describe('characterStrings (RFC 1035 §3.3: at most 255 octets each)', () => {
  it.each([
    ['empty text', '', ['']],
    ['short text', 'v=spf1 -all', ['v=spf1 -all']],
    ['exactly 255 octets', 'a'.repeat(255), ['a'.repeat(255)]],
    ['256 octets without spaces: a hard cut', 'a'.repeat(256), ['a'.repeat(255), 'a']],
    [
      'a space in the second half: cut after it',
      `${'a'.repeat(200)} ${'b'.repeat(100)}`,
      [`${'a'.repeat(200)} `, 'b'.repeat(100)],
    ],
    [
      'a space only in the first half: a hard cut',
      `${'a'.repeat(100)} ${'b'.repeat(200)}`,
      [`${'a'.repeat(100)} ${'b'.repeat(154)}`, 'b'.repeat(46)],
    ],
  ])('%s', (_, text, expected) => {
    expect(characterStrings(text)).toEqual(expected);
  });

  it('never cuts a multi-octet character, and loses nothing', () => {
    const text = `${'a'.repeat(254)}ü${'é'.repeat(300)}`;
    const strings = characterStrings(text);
    expect(strings.join('')).toBe(text);
    expect(strings.every((s) => octets(s) <= 255 && !s.includes('\uFFFD'))).toBe(true);
    expect(strings[0]).toBe('a'.repeat(254)); // ü (2 octets) would make 256
  });

  it('joins back to the text for long SPF-like input', () => {
    const text = `v=spf1 ${Array.from({ length: 80 }, (_, i) => `ip4:198.51.100.${i}`).join(' ')} -all`;
    const strings = characterStrings(text);
    expect(strings.join('')).toBe(text);
    expect(strings.every((s) => octets(s) <= 255)).toBe(true);
    expect(strings.slice(0, -1).every((s) => s.endsWith(' '))).toBe(true);
  });
});
