/**
 * `mxplan verify` end to end: the shipped examples verify clean, and deliberately broken copies
 * fail with a report that names the address, what was expected, what was observed, and why.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { brokenCopy, mxplan, ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { broken } from './broken-plans.js';

afterAll(removeTempDirs);
const hasXmllint = requireTool('xmllint');

interface Report {
  passed: boolean;
  stateDir?: string;
  scenarios: { name: string; passed: number; failed: number; skipped: number }[];
  cases: { scenario: string; name: string; status: string; expected?: string; observed?: string; trail?: string[] }[];
}

const report = (stdout: string) => JSON.parse(stdout) as Report;

describe('mxplan verify', () => {
  it('proves the building example: every scenario runs and passes (exit 0)', async () => {
    const result = await mxplan(['verify', 'examples/building/topology.yaml', '--format', 'json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const r = report(result.stdout);
    expect(r.passed).toBe(true);
    expect(r.scenarios.map((s) => s.name)).toEqual([
      'dns',
      'mta-sts',
      'delivery',
      'between-domains',
      'failover',
      'refusals',
      'bounce',
      'outbound',
      'read',
    ]);
    for (const s of r.scenarios.filter((s) => s.name !== 'read')) {
      expect(s.failed, s.name).toBe(0);
      expect(s.passed, s.name).toBeGreaterThan(0);
    }
    // The loopback sandbox serves no IMAP or POP3: read says so and is skipped, not failed.
    expect(r.scenarios.find((s) => s.name === 'read')).toMatchObject({ passed: 0, failed: 0, skipped: 1 });
    // Every planned address was sent to, and bob's copy took the planned two hops.
    const delivery = r.cases.filter((c) => c.scenario === 'delivery').map((c) => c.name);
    expect(delivery).toEqual(
      expect.arrayContaining([
        'alice@acme.example',
        'bob@acme.example',
        'sales@acme.example',
        'tps-reports@initech.example',
        'postmaster@globex.example',
      ]),
    );
    expect(r.cases.find((c) => c.name === 'bob@acme.example')?.trail).toEqual([
      'mail1.tower.example',
      'mail2.tower.example',
    ]);
    // CI (no TTY) gets plain progress lines on stderr.
    expect(result.stderr).toMatch(
      /^ok {3}delivery: every address delivers to exactly its mailboxes: \d+ passed, 0 failed/m,
    );
  });

  it('writes JUnit XML, runs only the scenarios asked for, and keeps the state when told', async () => {
    const result = await mxplan([
      'verify',
      'examples/building/topology.yaml',
      '-s',
      'dns',
      '-s',
      'refusals',
      '--format',
      'junit',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mxplan verify examples\/building\/topology\.yaml" tests="\d+" failures="0"/,
    );
    expect(result.stdout.match(/<testsuite /g)).toHaveLength(2);
    expect(result.stdout).toContain(
      '<testcase classname="mxplan.verify.refusals" name="unknown user of acme.example at backup"/>',
    );

    // Kept inside a directory of the test's own, removed whatever the assertions say.
    const tmp = await tempDir('verify-keep');
    const kept = await mxplan(['verify', 'examples/building/topology.yaml', '-s', 'delivery', '--keep'], {
      env: { ...process.env, TMPDIR: tmp },
    });
    const dir = /state kept in (\S+)/.exec(kept.stdout)?.[1];
    expect(dir?.startsWith(tmp)).toBe(true);
    expect(existsSync(join(dir!, 'mail2', 'maildir', 'acme.example', 'bob', 'new'))).toBe(true);
  });

  it.each(['json', 'junit'])(
    'with --keep and --format %s, says where the state was kept (stderr, and the JSON)',
    async (format) => {
      const tmp = await tempDir('verify-keep');
      const kept = await mxplan(
        ['verify', 'examples/building/topology.yaml', '-s', 'dns', '--keep', '--format', format],
        {
          env: { ...process.env, TMPDIR: tmp },
        },
      );
      expect(kept.code, kept.stderr).toBe(0);
      const dir = /^state kept in (\S+)$/m.exec(kept.stderr)?.[1];
      expect(dir?.startsWith(tmp), kept.stderr).toBe(true);
      expect(existsSync(join(dir!, 'endpoints.json'))).toBe(true);
      if (format === 'json') expect(report(kept.stdout).stateDir).toBe(dir);
    },
  );

  it('removes its state directory when interrupted (SIGTERM mid-run), then ends by the signal', async () => {
    const tmp = await tempDir('verify-interrupted');
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'mxplan.js'), 'verify', 'examples/building/topology.yaml'],
      { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await vi.waitFor(() => expect(stderr).toMatch(/^ok {3}dns:/m), { timeout: 20_000, interval: 50 });
    expect(await readdir(tmp)).toEqual([expect.stringMatching(/^mxplan-verify-/)]);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(stderr).toContain('verify interrupted (SIGTERM)');
    await vi.waitFor(async () => expect(await readdir(tmp)).toEqual([]), { timeout: 10_000, interval: 100 });
  });

  it('refuses to run on a plan with lint errors unless --force, and exits 2 when it cannot run', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace(
        '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
        '      - { host: backup, preference: 50 }\n    users:\n      carol',
      ),
    );
    const gated = await mxplan(['verify', file]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/mx-primary-store/);
    expect(gated.stderr).toContain('the topology has errors, so the plan was not verified (--force goes on anyway)');
    expect((await mxplan(['verify', 'no/such/file.yaml'])).code).toBe(2);
    expect((await mxplan(['verify', 'examples/building/topology.yaml', '-s', 'everything'])).code).toBe(2);
  });
});

describe('mxplan verify on broken plans', () => {
  it.each(broken)('$name: fails and names the cause', async ({ edit, address, says }) => {
    const { file } = await brokenCopy('building', edit);
    const result = await mxplan(['verify', file, '--force', '-s', 'delivery', '--patience', '3']);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const failure = result.stdout.split('\n\n').find((block) => block.includes(`delivery: ${address}`));
    expect(failure, result.stdout).toBeDefined();
    expect(failure).toMatch(says);
    expect(result.stdout).toMatch(/✖ .*: \d+ of \d+ checks failed/);
  });

  it.runIf(hasXmllint)(
    'writes the failures as JUnit XML that a real parser (xmllint) reads back, escaping included',
    async () => {
      const { file } = await brokenCopy('building', broken[1]!.edit);
      const result = await mxplan([
        'verify',
        file,
        '--force',
        '-s',
        'delivery',
        '--patience',
        '3',
        '--format',
        'junit',
      ]);
      expect(result.code).toBe(1);
      const xpath = (expression: string) =>
        execFileSync('xmllint', ['--xpath', expression, '-'], { input: result.stdout, encoding: 'utf8' });
      expect(Number(xpath('string(/testsuites/@failures)'))).toBeGreaterThan(0);
      expect(xpath('count(//testcase[failure])')).toBe(xpath('string(/testsuites/@failures)'));
      // the attribute decodes to the reply as the relay gave it, angle brackets and all
      expect(xpath('string(//testcase[@name="bill@initech-old.example"]/failure/@message)')).toMatch(
        /^556: 556 5\.1\.10 <bill@initech-old\.example>: initech-old\.example publishes a null MX/,
      );
    },
  );
});
