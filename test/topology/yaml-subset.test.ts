/**
 * The one-pass reader of plain YAML (yaml-subset.ts) against the yaml package's path
 * (document.ts): wherever the subset reader answers, value, key order, every position, every
 * plain text, findings and repeated keys must be the yaml package's. Where it is unsure it must
 * decline, and the yaml package reads the text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { syntheticTopology } from '../../bench/synthetic.mjs';
import { readYamlDocument } from '../../src/topology/document.js';
import type { ParsedYaml } from '../../src/topology/parsed-yaml.js';
import { escapePointer } from '../../src/topology/source-map.js';
import { readYamlSubset } from '../../src/topology/yaml-subset.js';
import { baseTopology } from '../helpers/topology.js';

const FILES = [
  'examples/building/topology.yaml',
  'examples/hosting/topology.yaml',
  'test/golden/001-base/topology.yaml',
  'test/golden/002-mail-policies/topology.yaml',
  'test/golden/003-dkim/topology.yaml',
  'test/golden/003-proxied-logins/topology.yaml',
];

/** Every pointer of a value, in document order (keys in the order a walk of the object sees them). */
function pointersOf(value: unknown, path = ''): string[] {
  const out = [path];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...pointersOf(item, `${path}/${i}`)));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) out.push(...pointersOf(child, `${path}/${escapePointer(key)}`));
  }
  return out;
}

/** What a reader made of a text, in comparable form. */
function observed(parsed: ParsedYaml) {
  const pointers = pointersOf(parsed.value);
  return {
    value: parsed.value,
    pointers,
    positions: pointers.map((p) => [parsed.source.at(p), parsed.source.keyAt(p)]),
    plainTexts: pointers.map((p) => parsed.plainText(p)),
    findings: parsed.findings,
    repeatedKeys: parsed.repeatedKeys,
  };
}

/** The subset reader's answer equals the yaml package's; returns whether it answered. */
function agrees(text: string): boolean {
  const subset = readYamlSubset(text, 'topology.yaml');
  if (subset === undefined) return false;
  expect(observed(subset)).toEqual(observed(readYamlDocument(text, 'topology.yaml')));
  return true;
}

describe('the YAML subset reader', () => {
  it.each(FILES)('reads %s as the yaml package does', (file) => {
    expect(agrees(readFileSync(file, 'utf8'))).toBe(true);
  });

  it('reads test topologies as JSON, as YAML and the synthetic benchmark plan as the yaml package does', () => {
    expect(agrees(JSON.stringify(baseTopology(), null, 2))).toBe(true);
    expect(agrees(stringify(baseTopology()))).toBe(true);
    expect(agrees(syntheticTopology({ domains: 30, usersPerDomain: 3 }).yaml)).toBe(true);
  });

  // [snippet, whether the subset reader answers for it]
  const cases: [string, boolean][] = [
    // Plain scalars as the core schema resolves them, and text that only looks like something.
    ...[
      '007',
      '0o17',
      '0o8',
      '0x1F',
      '0x',
      '0b101',
      '1e3',
      '12e03',
      '1e',
      '-1.5',
      '.5',
      '1.',
      '1.0',
      '+12',
      '-0',
      '.inf',
      '-.Inf',
      '+.INF',
      '.NaN',
      '.nan',
      '~',
      'null',
      'Null',
      'NULL',
      'nULL',
      'true',
      'True',
      'TRUE',
      'tRUE',
      'false',
      'yes',
      'no',
      'on',
      '2026-01-10',
      '12:30',
      '1_000',
      '-all',
      '~all',
      'a#b',
      'a,b',
      'a[1]',
      'x]',
      'x}',
      'hostmaster@example.org',
      'http://example.org:80/x',
      'ä ö',
      '日本',
      '-x y',
      'a  b  ',
    ].map((scalar): [string, boolean] => [`a: ${scalar}\n`, true]),
    ...['- b', '-', '?x', ':x', '@x', '%x', '`x', '|x', '>x', '*x', '!x', '&x', ',x', ']', '}'].map(
      (scalar): [string, boolean] => [`a: ${scalar}\n`, false],
    ),
    // Keys as written.
    ['007: x\n0x1F: y\n1e3: z\ntrue: a\nnull: b\n~: c\n10: d\n2: e\n', true],
    ['"quoted key": d\n\'single\': e\na b: f\na:b: g\n__proto__: x\n<<: m\na~b/c: v\n-x: 1\na#b: 2\n', true],
    ['"a" : 1\nb : 2\n', true],
    ['"__proto__": { "__proto__": 1 }\n', true],
    [`${'k'.repeat(1100)}: 1\n`, false],
    // Quoted scalars.
    ["a: 'it''s'\nb: ''\nc: \"\"\nd: 'a # b'\ne: \"x: y\"\n", true],
    ['a: "\\u00e9\\x41\\U0001F600 \\\\ \\" \\/ \\0 \\a \\b \\e \\f \\n \\r \\t \\v \\N \\_ \\L \\P \\ "\n', true],
    ['a: "\\q"\n', false],
    ['a: "\\xZZ"\n', false],
    ['a: "\\U00110000"\n', false],
    ['a: "two\n  lines"\n', false],
    ["a: 'two\n  lines'\n", false],
    // Comments.
    ['# top\n\na: 1 # c\nb: "x" # c\nc: [1] # c\n# end\n', true],
    ['a: "x"#c\n', false],
    ['a: [1]#c\n', false],
    ['a: # c\n  b: 1\n', true],
    // Empty values.
    ['a:\nb:   \nc: # c\nd:\n', true],
    ['a:', true],
    ['a: 1\nb:', true],
    // Block sequences.
    ['a:\n- 1\n- 2\nb: 3\n', true],
    ['a:\n  - 1\n  - 2\n', true],
    ['a:\n  - b: 1\n    c: 2\n  - b: 3\n    d:\n      - x\n', true],
    ['a:\n  -\n    b: 1\n', true],
    ['a:\n  - # c\n    b: 1\n', true],
    ['- a\n- b\n', true],
    ['- a: 1\n  b:\n  - x\n', true],
    ['a:\n  - - 1\n', false],
    ['a:\n  -\n', false],
    ['a:\n  - 1\n  b: 2\n', false],
    ['a:\n  - 1\n   - 2\n', false],
    // Flow collections.
    ['a: {b: 1, c: [2, 3], d: {}, e: []}\n', true],
    ['a: { }\nb: [ ]\n', true],
    ['a: [http://x:80/, a:b, -1, -x, "q", \'s\']\n', true],
    ['a: {"b": 1, \'c\' : 2}\n', true],
    ['a: [1,\n  2]\n', true],
    ['a:\n  b: [1,\n    2]\n', true],
    ['a: [1, # c\n  2]\n', true],
    ['a: [a, b, ]\n', false],
    ['a: {b: }\n', false],
    ['a: {b}\n', false],
    ['a: {b, c: 1}\n', false],
    ['a: [b: 1]\n', false],
    ['a: [1,\n2]\n', false],
    ['a:\n  b: [1,\n  2]\n', false],
    ['a: {"b":1}\n', false],
    ['a: [ , ]\n', false],
    ['a: [1\n', false],
    ['a: {x: 1}}\n', false],
    ['a: [1] 2\n', false],
    ['a: [a\n  b]\n', false],
    [`a: ${'['.repeat(100)}${']'.repeat(100)}\n`, false],
    ['a: {b : 1, c/d: [x , y ], e:  "f" }\nb: [x ]\n', true],
    ['a:    1   \nb:    c   # d\nc: "x"   \n', true],
    ['- a:\n  - x\n  b: 2\n', true],
    // JSON.
    ['{\n  "a": [1, 2.5, -3, 1e3, true, null],\n  "b": {"c": "\\u00e9"},\n  "d": {}\n}\n', true],
    ['{ "a": 1 }\n# trailing\n', true],
    ['{"a":1}', false],
    ['{ "a": 1 }\nb: 2\n', false],
    ['{ "a": 1 }: 2\n', false],
    // Indentation.
    ['  a: 1\n  b: 2\n', true],
    ['a:\n    b: 1\n    c: 2\nd: 3\n', true],
    ['a:\n  b: 1\n c: 2\n', false],
    ['a:\n    b: 1\n  c: 2\n', false],
    ['a: 1\n  b: 2\n', false],
    ['a: b\n  c\n', false],
    ['a:\n  b\n  c\n', false],
    ['a: b: c\n', false],
    ['a: "b": c\n', false],
    ['a: [b]: c\n', false],
    ['a:\n  [1, 2]\n', false],
    // Documents, directives, anchors, tags, block scalars: the yaml package's.
    ['---\na: 1\n', false],
    ['a: 1\n---\nb: 2\n', false],
    ['a: 1\n...\n', false],
    ['%YAML 1.2\n---\na: 1\n', false],
    ['a: &x 1\nb: *x\n', false],
    ['a: !!str 1\n', false],
    ['a: |\n  x\n', false],
    ['a: >\n  x\n', false],
    ['? a\n: 1\n', false],
    // Repeated keys, tabs, CR, empty files, scalars at the root: the yaml package's, with its findings.
    ['a: 1\na: 2\n', false],
    ['a: {b: 1, b: 2}\n', false],
    ['a:\t1\n', false],
    ['a: 1\r\nb: 2\r\n', false],
    ['', false],
    ['# only a comment\n', false],
    ['\n\n', false],
    ['just text\n', false],
  ];

  it.each(cases)('%j: answers %s, as the yaml package does where it answers', (text, answers) => {
    expect(agrees(text)).toBe(answers);
  });
});
