import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { default as AjvModule } from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/diagnostics.js';
import { catalogue } from '../../src/lint/index.js';
import { formatGithub } from '../../src/report/github.js';
import { formatJson } from '../../src/report/json.js';
import { formatSarif } from '../../src/report/sarif.js';
import { formatStylish } from '../../src/report/stylish.js';

const cwd = '/work/project';
const findings: Finding[] = [
  {
    rule: 'mx-backup-preference',
    messageId: 'samePreference',
    severity: 'error',
    message: 'domain acme.example: backup MX backup has the same preference (10) as primary store1',
    location: { file: '/work/project/topology.yaml', line: 12, column: 9, path: '/domains/acme.example/mx/1' },
    related: [{ file: '/work/project/topology.yaml', line: 11, column: 9, path: '/domains/acme.example/mx/0' }],
    fix: 'Give every relay-only backup a larger preference value.',
  },
  {
    rule: 'users-csv',
    severity: 'warning',
    message: 'row "x" has no host, 100% wrong: really',
    location: { file: '/work/project/users/acme.csv', line: 3, column: 1, path: '' },
  },
  {
    rule: 'topology-syntax',
    severity: 'info',
    message: 'position unknown',
    location: { file: '/elsewhere/t.yaml', line: 0, column: 0, path: '' },
  },
];
const input = { findings, rules: catalogue, cwd };

describe('stylish', () => {
  it('groups by file, shows position, severity, rule, RFC and fix, and a summary', () => {
    const text = formatStylish(input, { color: false });
    expect(text).toContain(
      'topology.yaml\n  12:9  error    domain acme.example: backup MX backup has the same preference (10) as primary store1  mx-backup-preference',
    );
    expect(text).toMatch(/see RFC 5321 §5\.1, RFC 974/);
    expect(text).toContain('fix: Give every relay-only backup');
    expect(text).toContain('users/acme.csv');
    expect(text.trimEnd().split('\n').at(-1)).toBe('✖ 3 problems (1 error, 1 warning, 1 info)');
    expect(text).not.toMatch(/\x1b\[/);
  });

  it('colours only when asked', () => {
    expect(formatStylish(input, { color: true })).toMatch(/\x1b\[31merror/);
  });

  it('says so when there is nothing to report', () => {
    expect(formatStylish({ ...input, findings: [] }, { color: false })).toBe('✔ no problems\n');
  });
});

describe('json', () => {
  it('has findings with rule, severity, message and location {file, line, column, path}', () => {
    const body = JSON.parse(formatJson(input));
    expect(body.summary).toEqual({ error: 1, warning: 1, info: 1 });
    expect(body.findings[0]).toMatchObject({
      rule: 'mx-backup-preference',
      severity: 'error',
      message: expect.any(String),
      location: { file: 'topology.yaml', line: 12, column: 9, path: '/domains/acme.example/mx/1' },
      references: ['RFC 5321 §5.1', 'RFC 974'],
    });
  });
});

describe('github annotations', () => {
  it('writes one workflow command per finding, escaped', () => {
    const lines = formatGithub(input).trimEnd().split('\n');
    expect(lines[0]).toBe(
      '::error file=topology.yaml,line=12,col=9,title=mxplan mx-backup-preference::domain acme.example: backup MX backup has the same preference (10) as primary store1%0AGive every relay-only backup a larger preference value.',
    );
    expect(lines[1]).toBe(
      '::warning file=users/acme.csv,line=3,col=1,title=mxplan users-csv::row "x" has no host, 100%25 wrong: really',
    );
    expect(lines[2]).toBe('::notice file=/elsewhere/t.yaml,title=mxplan topology-syntax::position unknown');
  });
});

describe('sarif', () => {
  const require = createRequire(import.meta.url);
  // ajv-draft-04 is CommonJS whose module.exports is the class (SARIF's schema is draft-04).
  const Ajv4 = require('ajv-draft-04') as (typeof AjvModule)['default'];
  const schemaFile = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const validate = new Ajv4({ allErrors: true, strict: false, unicodeRegExp: false }).compile(
    JSON.parse(readFileSync(schemaFile, 'utf8')),
  );

  it('validates against the SARIF 2.1.0 schema', () => {
    const log = JSON.parse(formatSarif(input, { version: '0.1.0' }));
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The check can fail: a run without its tool is not SARIF.
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
  });

  it('carries the whole rule catalogue and points results at it', () => {
    const log = JSON.parse(formatSarif(input, { version: '0.1.0' }));
    const { rules } = log.runs[0].tool.driver;
    expect(rules.map((r: { id: string }) => r.id)).toEqual([...catalogue.keys()]);
    for (const result of log.runs[0].results) expect(rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(log.runs[0].results[0]).toMatchObject({
      level: 'error',
      locations: [
        { physicalLocation: { artifactLocation: { uri: 'topology.yaml' }, region: { startLine: 12, startColumn: 9 } } },
      ],
    });
    // Line 0 means unknown: SARIF regions start at 1, so the region is left out.
    expect(log.runs[0].results[2].locations[0].physicalLocation.region).toBeUndefined();
  });

  it('knows the checks of the input as rules too, and points every rule at its section of docs/rules.md', () => {
    const { rules } = JSON.parse(formatSarif(input, { version: '0.1.0' })).runs[0].tool.driver;
    const ids = rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['topology-schema', 'topology-syntax', 'users-csv', 'lint-config']));
    const docs = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    for (const rule of rules) {
      expect(rule.helpUri).toBe(`https://github.com/mxplan/mxplan/blob/main/docs/rules.md#${rule.id}`);
      expect(docs).toContain(`\n## ${rule.id}\n`);
    }
  });

  it('writes artifact locations as URI references', () => {
    const odd: Finding = { ...findings[2]!, location: { file: '<stdin>', line: 1, column: 1, path: '' } };
    const log = JSON.parse(formatSarif({ ...input, findings: [odd] }, { version: '0.1.0' }));
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('%3Cstdin%3E');
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });
});
