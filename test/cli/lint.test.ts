import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../helpers/temp.js';
import { brokenCopy, lineOf, mxplan, ROOT, withLintRule } from '../helpers/cli.js';

afterAll(removeTempDirs);

const examples = (await readdir(join(ROOT, 'examples'), { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('mxplan lint on the shipped examples', () => {
  it.each(examples)('%s lints clean under the strict set too (exit 0)', async (example) => {
    const result = await mxplan(['lint', `examples/${example}/topology.yaml`, '--strict', '--format', 'json']);
    expect(JSON.parse(result.stdout).findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
    expect(result.code).toBe(0);
  });
});

interface BrokenCase {
  readonly name: string;
  readonly example: string;
  readonly edit: (text: string) => string;
  /** The rule and the line (found by a needle in the edited text) each finding must have. */
  readonly expected: (text: string) => { rule: string; line: number; file?: RegExp }[];
  /** Edits of other files of the example (users CSV), by path. */
  readonly others?: Record<string, (text: string) => string>;
}

const broken: BrokenCase[] = [
  {
    name: 'a backup as preferred as the primary',
    example: 'building',
    edit: (t) =>
      t.replace(
        '  acme.example:\n    mx:\n      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 50 }',
        '  acme.example:\n    mx:\n      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 10 }',
      ),
    expected: (t) => [{ rule: 'mx-backup-preference', line: lineOf(t, '{ host: backup, preference: 10 }') }],
  },
  {
    name: 'an MX naming a host that does not exist',
    example: 'building',
    edit: (t) =>
      t.replace(
        '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
        '      - { host: mail3, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
      ),
    expected: (t) => [{ rule: 'mx-target-planned', line: lineOf(t, '{ host: mail3, preference: 10 }') }],
  },
  {
    name: 'a misspelt key',
    example: 'hosting',
    edit: (t) => t.replace('    role: relay\n', '    rol: relay\n'),
    expected: (t) => [{ rule: 'topology-schema', line: lineOf(t, '    rol: relay') }],
  },
  {
    name: 'a user in the directory export homed on a host that does not exist',
    example: 'hosting',
    edit: (t) => t.replace('# A small hosting provider', '# A small, broken hosting provider'),
    others: { 'users/city-dental.example.csv': (csv) => csv.replace(/^([^,\n]+),store\d,/m, '$1,store7,') },
    expected: () => [{ rule: 'user-home-planned', line: 2, file: /users\/city-dental\.example\.csv$/ }],
  },
  {
    name: 'a parked (null MX) domain that still has a user',
    example: 'building',
    edit: (t) =>
      t.replace(
        '  initech-old.example:           # the old name: parked, receives and sends no mail (RFC 7505)\n    mx: null\n',
        '  initech-old.example:\n    mx: null\n    users: { bill: mail1 }\n',
      ),
    expected: (t) => [{ rule: 'mx-null-no-recipients', line: lineOf(t, 'users: { bill: mail1 }') }],
  },
  {
    name: 'a domain without postmaster',
    example: 'building',
    edit: (t) => t.replace('      postmaster: [carol]\n', ''),
    expected: (t) => [{ rule: 'postmaster-defined', line: lineOf(t, '  globex.example:') }],
  },
  {
    name: 'an alias that leads back to itself',
    example: 'building',
    edit: (t) =>
      t.replace(
        '      all: [alice, bob, dave, erin]',
        '      all: [alice, bob, dave, erin, everyone]\n      everyone: [all]',
      ),
    expected: (t) => [{ rule: 'alias-acyclic', line: lineOf(t, 'all: [alice, bob, dave, erin, everyone]') }],
  },
  {
    name: 'a user homed on the relay-only backup (relays hold no mailboxes)',
    example: 'building',
    edit: (t) => t.replace('      frank: mail2', '      frank: backup'),
    expected: (t) => [{ rule: 'user-home-store', line: lineOf(t, 'frank: backup') }],
  },
];

describe('deliberately broken copies of the examples', () => {
  it.each(broken)('$name', async ({ example, edit, others, expected }) => {
    const { file, text } = await brokenCopy(example, edit, others);
    const result = await mxplan(['lint', file, '--format', 'json']);
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.stdout).findings as { rule: string; location: { file: string; line: number } }[];
    for (const want of expected(text)) {
      const file = want.file ?? /topology\.yaml$/;
      expect(findings).toContainEqual(
        expect.objectContaining({
          rule: want.rule,
          location: expect.objectContaining({ line: want.line, file: expect.stringMatching(file) }),
        }),
      );
    }
  });
});

describe('exit codes and formats', () => {
  it('exits 2 with a one-line message for a missing file', async () => {
    const result = await mxplan(['lint', 'no/such/topology.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('mxplan: cannot read topology no/such/topology.yaml: no such file or directory\n');
  });

  it('exits 2 on a bad flag value', async () => {
    expect((await mxplan(['lint', 'examples/building/topology.yaml', '--format', 'xml'])).code).toBe(2);
    const rule = await mxplan(['lint', 'examples/building/topology.yaml', '--rule', 'mx-backup-preferense=off']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/unknown rule "mx-backup-preferense" \(did you mean "mx-backup-preference"\?\)/);
  });

  it('exits 1 on a syntax error and points at it, without a stack trace', async () => {
    const { file } = await brokenCopy('building', (t) => t.replace('version: 1', 'version: 1\nhosts: ['));
    const result = await mxplan(['lint', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/topology\.yaml\n\s+\d+:\d+\s+error\s+.*topology-syntax/);
    expect(result.stdout + result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('lets --rule and lint.rules turn a rule off, and --max-warnings fail on warnings', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace(
        '      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      alice',
        '      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 10 }\n    users:\n      alice',
      ),
    );
    expect((await mxplan(['lint', file])).code).toBe(1);
    expect((await mxplan(['lint', file, '--rule', 'mx-backup-preference=off'])).code).toBe(0);
    const warn = await mxplan(['lint', file, '--rule', 'mx-backup-preference=warn', '--format', 'json']);
    expect(warn.code).toBe(0);
    expect(JSON.parse(warn.stdout).summary).toMatchObject({ error: 0, warning: 1 });
    expect((await mxplan(['lint', file, '--rule', 'mx-backup-preference=warn', '--max-warnings', '0'])).code).toBe(1);
    await writeFile(file, withLintRule(await readFile(file, 'utf8'), 'mx-backup-preference', 'off'));
    expect((await mxplan(['lint', file])).code).toBe(0);
  });

  it('reports an unknown rule in lint.rules as a finding with its line', async () => {
    const { file, text } = await brokenCopy('building', (t) => withLintRule(t, 'mx-bakup-preference', 'warn'));
    const result = await mxplan(['lint', file, '--format', 'json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings.filter((f: { severity: string }) => f.severity !== 'info')).toMatchObject(
      [
        {
          rule: 'lint-config',
          location: { line: lineOf(text, 'mx-bakup-preference') },
          message: expect.stringMatching(/did you mean "mx-backup-preference"/),
        },
      ],
    );
  });

  it('writes GitHub annotations and SARIF', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace('{ host: backup, preference: 50 }', '{ host: backup, preference: 5 }'),
    );
    const gh = await mxplan(['lint', file, '--format', 'github']);
    expect(gh.stdout).toMatch(/^::error file=.*topology\.yaml,line=\d+,col=\d+,title=mxplan mx-backup-preference::/m);
    const sarif = JSON.parse((await mxplan(['lint', file, '--format', 'sarif'])).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].ruleId).toBe('mx-backup-preference');
  });
});

describe('mxplan rules', () => {
  it('lists every rule and explains one', async () => {
    const list = await mxplan(['rules']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^mx-backup-preference\s+error\s+Backup MX hosts are strictly less preferred than the primary\./m,
    );
    const one = await mxplan(['rules', 'mx-backup-preference']);
    // Its section of docs/rules.md, as the page says.
    expect(one.stdout).toMatch(/^## mx-backup-preference\n[\s\S]*- References: RFC 5321 §5\.1; RFC 974\n/);
    expect(one.stdout).toMatch(/\nExamples: https:\/\/\S+\/docs\/rules\.md#mx-backup-preference\n$/);
    expect((await mxplan(['rules', 'nope'])).code).toBe(2);
  });
});
