/**
 * The two source maps answer alike: the subset reader's tree of nodes (TreeSourceMap) and the
 * yaml package path's map by pointer (PointerSourceMap), for pointers and for the segments
 * normalize hands over, with keys that need escaping (RFC 6901 §3) and a mapping with more
 * children than the tree scans before it indexes them.
 */
import { describe, expect, it } from 'vitest';
import { readYamlDocument } from '../../src/topology/document.js';
import { readYamlSubset } from '../../src/topology/yaml-subset.js';

const DOMAINS = 40;
const TEXT = [
  'version: 1',
  'domains:',
  ...Array.from({ length: DOMAINS }, (_, i) => [
    `  d${i}.example:`,
    `    mx: [{ host: store1, preference: ${10 + i} }, { host: backup1, preference: 50 }]`,
    '    aliases:',
    '      "a/b": [x]',
    '      "t~x":',
    '        - y',
    '        - z',
  ]).flat(),
  'empty:',
  '',
].join('\n');

describe('the source maps', () => {
  const tree = readYamlSubset(TEXT, 'topology.yaml');
  const byPointer = readYamlDocument(TEXT, 'topology.yaml');

  it('are both made from the text (the subset reader answers for it)', () => {
    expect(tree).toBeDefined();
    expect(tree!.value).toEqual(byPointer.value);
  });

  const cases: [pointer: string, segments: (string | number)[]][] = [
    ['', []],
    ['/domains', ['domains']],
    ['/domains/d0.example', ['domains', 'd0.example']],
    ['/domains/d37.example/mx/1', ['domains', 'd37.example', 'mx', 1]],
    ['/domains/d37.example/mx/1/preference', ['domains', 'd37.example', 'mx', 1, 'preference']],
    ['/domains/d39.example/aliases/a~1b/0', ['domains', 'd39.example', 'aliases', 'a/b', 0]],
    ['/domains/d21.example/aliases/t~0x/1', ['domains', 'd21.example', 'aliases', 't~x', 1]],
    ['/empty', ['empty']],
    // Not in the document: the nearest mapped ancestor, with the pointer asked for.
    ['/domains/d5.example/spf', ['domains', 'd5.example', 'spf']],
    ['/domains/d99.example/mx/0', ['domains', 'd99.example', 'mx', 0]],
    ['/domains/d5.example/mx/7', ['domains', 'd5.example', 'mx', 7]],
  ];

  it.each(cases)('locate %s alike, by pointer and by segments', (pointer, segments) => {
    const { source } = tree!;
    const expected = { at: byPointer.source.at(pointer), keyAt: byPointer.source.keyAt(pointer) };
    expect({ at: source.at(pointer), keyAt: source.keyAt(pointer) }).toEqual(expected);
    expect({ at: source.atPath(segments), keyAt: source.keyAtPath(segments) }).toEqual(expected);
    expect({ at: byPointer.source.atPath(segments), keyAt: byPointer.source.keyAtPath(segments) }).toEqual(expected);
    expect(expected.at.path).toBe(pointer);
  });

  it('finds a value where it was written', () => {
    const line = TEXT.split('\n').indexOf('  d37.example:') + 2;
    expect(tree!.source.atPath(['domains', 'd37.example', 'mx', 1, 'preference'])).toEqual({
      file: 'topology.yaml',
      line,
      column: TEXT.split('\n')[line - 1]!.lastIndexOf('50') + 1,
      path: '/domains/d37.example/mx/1/preference',
    });
    expect(tree!.source.keyAtPath(['domains', 'd37.example'])).toMatchObject({ line: line - 1, column: 3 });
  });
});
