/**
 * The conventions of the field's linters (ESLint, DNSControl) that users bring with them:
 * --max-warnings says why it failed, warn and warning both work, --quiet, -o, `-` for stdin, a
 * validated `rules --format`, the checks of the input in the catalogue, one name for --force.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { brokenCopy, lineOf, mxplan, ROOT, withLintRule } from '../helpers/cli.js';

afterAll(removeTempDirs);

const BUILDING = join(ROOT, 'examples/building/topology.yaml');

/** The building example with a backup as preferred as its primary: one mx-backup-preference error. */
const samePreference = (t: string) =>
  t.replace(
    '      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      alice',
    '      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 10 }\n    users:\n      alice',
  );

/** ... and the same error turned into a warning, by the topology itself. */
const oneWarning = (level: string) => (t: string) => withLintRule(samePreference(t), 'mx-backup-preference', level);

describe('mxplan lint', () => {
  it('says why --max-warnings failed the run', async () => {
    const { file } = await brokenCopy('building', oneWarning('warn'));
    const result = await mxplan(['lint', file, '--max-warnings', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('mxplan: too many warnings: 1, maximum 0 (--max-warnings)\n');
    expect((await mxplan(['lint', file, '--max-warnings', '1'])).code).toBe(0);
  });

  it.each(['warn', 'warning', 'Warning'])('takes %s as a level, in the topology and in --rule', async (level) => {
    const { file } = await brokenCopy('building', samePreference);
    const viaFlag = await mxplan(['lint', file, '--rule', `mx-backup-preference=${level}`, '--format', 'json']);
    expect(viaFlag.stderr).toBe('');
    expect(JSON.parse(viaFlag.stdout).summary).toMatchObject({ error: 0, warning: 1 });
    expect(viaFlag.code).toBe(0);
    if (level === 'Warning') return; // the topology is YAML: its level words are lower case, as the schema says
    const { file: set } = await brokenCopy('building', oneWarning(level));
    const viaTopology = await mxplan(['lint', set, '--format', 'json']);
    expect(JSON.parse(viaTopology.stdout).summary).toMatchObject({ error: 0, warning: 1 });
    expect(viaTopology.code).toBe(0);
  });

  it('--quiet reports errors only, and still counts the warnings for --max-warnings', async () => {
    const { file } = await brokenCopy('building', oneWarning('warning'));
    const quiet = await mxplan(['lint', file, '--quiet', '--format', 'json']);
    expect(JSON.parse(quiet.stdout).findings).toEqual([]);
    expect(quiet.code).toBe(0);
    const loud = await mxplan(['lint', file, '--format', 'json']);
    expect(JSON.parse(loud.stdout).summary).toEqual({ error: 0, warning: 1, info: 0 });
    const counted = await mxplan(['lint', file, '-q', '--max-warnings', '0']);
    expect(counted.stdout).toBe('✔ no problems\n');
    expect(counted.stderr).toMatch(/too many warnings: 1, maximum 0/);
    expect(counted.code).toBe(1);
    const { file: broken } = await brokenCopy('building', samePreference);
    const errors = await mxplan(['lint', broken, '--quiet', '--format', 'json']);
    expect(JSON.parse(errors.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual(['mx-backup-preference']);
    expect(errors.code).toBe(1);
  });

  it('-o writes the report to a file (SARIF, say) and a summary to the terminal, in one run', async () => {
    const { file } = await brokenCopy('building', samePreference);
    const out = join(await tempDir('lint-output'), 'results.sarif');
    const result = await mxplan(['lint', file, '--format', 'sarif', '-o', out]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`✖ 1 problem (1 error, 0 warnings) (sarif report in ${out})\n`);
    const sarif = JSON.parse(await readFile(out, 'utf8'));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['mx-backup-preference']);
    const long = await mxplan(['lint', BUILDING, '--output-file', out, '--format', 'json']);
    expect(long.stdout).toMatch(/^✔ no problems \(json report in /);
    expect(JSON.parse(await readFile(out, 'utf8')).summary).toEqual({ error: 0, warning: 0, info: 0 });
  });

  it('reads the topology from standard input for -, with its users files beside the working directory', async () => {
    const text = await readFile(join(ROOT, 'examples/hosting/topology.yaml'), 'utf8');
    const clean = await mxplan(['lint', '-', '--format', 'json'], { input: text, cwd: join(ROOT, 'examples/hosting') });
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
    const input = samePreference(await readFile(BUILDING, 'utf8'));
    // Its DKIM keys, like users files, are beside the working directory.
    const broken = await mxplan(['lint', '-'], { input, cwd: join(ROOT, 'examples/building') });
    expect(broken.code).toBe(1);
    const line = lineOf(input, '{ host: backup, preference: 10 }');
    expect(broken.stdout).toMatch(new RegExp(`^<stdin>\n\\s+${line}:9\\s+error\\s+.*mx-backup-preference$`, 'm'));
  });

  it('rejects a --rule for a check of the input, and lint.rules reports it', async () => {
    const flag = await mxplan(['lint', BUILDING, '--rule', 'topology-schema=off']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/"topology-schema" is a check of the input, always on/);
    const { file } = await brokenCopy('building', (t) => withLintRule(t, 'users-csv', 'off'));
    const set = await mxplan(['lint', file, '--format', 'json']);
    expect(set.code).toBe(1);
    expect(JSON.parse(set.stdout).findings).toContainEqual(
      expect.objectContaining({
        rule: 'lint-config',
        message: expect.stringMatching(/"users-csv", a check of the input/),
      }),
    );
  });
});

describe('the plan commands read - too', () => {
  it.each([{ command: 'records' }, { command: 'zones', flag: '--out' }])('$command -', async ({ command, flag }) => {
    const text = await readFile(BUILDING, 'utf8');
    const args = flag ? [command, '-', flag, join(await tempDir('stdin'), 'zones')] : [command, '-'];
    // Files the topology names (its DKIM keys) are beside the working directory.
    const result = await mxplan([...args, '--serial', '1'], { input: text, cwd: dirname(BUILDING) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(command === 'records' ? /IN MX\s+10 mail1\.tower\.example\./ : /^wrote 8 zones in /);
  });
});

describe('mxplan rules', () => {
  it('validates --format', async () => {
    const result = await mxplan(['rules', '--format', 'yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/argument 'yaml' is invalid\. Allowed choices are text, json/);
  });

  it('refuses an unknown id in every format', async () => {
    for (const args of [
      ['rules', 'nosuch'],
      ['rules', '--format', 'json', 'nosuch'],
    ]) {
      const result = await mxplan(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('mxplan: unknown rule "nosuch"\n');
    }
  });

  it('lists and explains the checks of the input, whose ids every loader finding carries', async () => {
    const list = await mxplan(['rules']);
    for (const id of ['lint-config', 'topology-schema', 'topology-syntax', 'users-csv'])
      expect(list.stdout).toMatch(new RegExp(`^${id}\\s+error\\s+.*\\(input check, always on\\)$`, 'm'));
    const one = await mxplan(['rules', 'topology-schema']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^## topology-schema\n\nThe topology has the documented shape/);
    const json = JSON.parse((await mxplan(['rules', '--format', 'json', 'users-csv'])).stdout);
    expect(json).toMatchObject([{ id: 'users-csv', category: 'input', severity: 'error', sets: [] }]);
  });
});

describe('one name for going on despite lint errors', () => {
  it('is --force for verify too; --no-lint still works, hidden, with a word', async () => {
    const help = await mxplan(['verify', '--help']);
    expect(help.stdout).toMatch(/--force\s+run even when the topology has error-level findings/);
    expect(help.stdout).not.toMatch(/--no-lint/);
    const { file } = await brokenCopy('building', samePreference);
    const gated = await mxplan(['verify', file]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain('the topology has errors, so the plan was not verified (--force goes on anyway)');
    const old = await mxplan(['verify', '--no-lint', 'no/such/topology.yaml']);
    expect(old.stderr).toMatch(/^mxplan: --no-lint is deprecated: use --force\n/);
    expect(old.code).toBe(2);
  });
});
