import { describe, expect, it } from 'vitest';
import { canonicalAddress, localPartProblem, nfcForm } from '../../src/topology/names.js';

describe('local parts (RFC 5321 §4.1.2 dot-atom, RFC 6532 §3.2 UTF-8)', () => {
  it.each([['alice'], ['first.last'], ["o'brien+tag"], ['jürgen'], ['δοκιμή'], ['用户'], ['😀.x']])(
    '%s is valid',
    (local) => {
      expect(localPartProblem(local)).toBeUndefined();
    },
  );

  it.each([
    ['', 'is empty'],
    ['a b', 'is not a dot-atom (RFC 5321 §4.1.2)'],
    ['a..b', 'is not a dot-atom (RFC 5321 §4.1.2)'],
    ['.a', 'is not a dot-atom (RFC 5321 §4.1.2)'],
    ['x'.repeat(65), 'is 65 octets long (RFC 5321 §4.5.3.1.1 allows 64)'],
    // 63 characters, 64 octets in UTF-8; one more ü makes 66.
    [`ü${'x'.repeat(62)}`, undefined],
    [`üü${'x'.repeat(62)}`, 'is 66 octets long (RFC 5321 §4.5.3.1.1 allows 64)'],
    ['ju\u0308rgen', 'is not in Unicode NFC (RFC 6532 §3.1): its NFC form is "jürgen"'],
  ])('%j: %s', (local, problem) => {
    expect(localPartProblem(local)).toBe(problem);
  });

  it('never normalises: the NFC form is only reported', () => {
    expect(nfcForm('ju\u0308rgen')).toBe('jürgen');
    expect(nfcForm('jürgen')).toBeUndefined();
    expect(canonicalAddress('Ju\u0308rgen@Bücher.example')).toBe('ju\u0308rgen@xn--bcher-kva.example');
  });
});
