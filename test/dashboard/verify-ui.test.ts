/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON is read as it comes: the assertions are the type check */
/**
 * `mxplan verify --ui`: the dashboard follows the run, and each failure links to the journey of
 * the message it sent, which tells why it went where it did. Run as a user runs it, on a broken
 * copy of the building example (globex's only MX is the relay-only backup), then read through
 * the API and in Chromium.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { brokenCopy, ROOT } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

const hasChromium = requireTool('chromium');
afterAll(removeTempDirs);

describe.runIf(hasChromium)('mxplan verify --ui', () => {
  it('shows the run, and a failure links to the journey that explains it', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace(
        '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
        '      - { host: backup, preference: 50 }\n    users:\n      carol',
      ),
    );
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/mxplan.js'), 'verify', file, '--force', '-s', 'delivery', '--patience', '3', '--ui'],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!/the dashboard stays open/.test(stderr) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(stderr, stdout).toMatch(/verify finished; the dashboard stays open at http/);
      const url = new URL(/^dashboard: (\S+)$/m.exec(stderr)![1]!);
      const headers = { authorization: `Bearer ${url.searchParams.get('token')}` };
      const get = async (path: string) =>
        (await fetch(new URL(`/api/${path}`, url), { headers })).json() as Promise<any>;

      const verify = await get('verify');
      expect(verify.finished).toBe(true);
      expect(verify.scenarios).toEqual([
        expect.objectContaining({ name: 'delivery', state: 'done', failed: expect.any(Number) }),
      ]);
      const carol = verify.cases.find((c: any) => c.name === 'carol@globex.example');
      expect(carol).toMatchObject({
        status: 'fail',
        messageId: expect.stringMatching(/^<.+@verify\.mxplan\.invalid>$/),
      });
      expect((await get('engine')).closed).toBe(true);

      // The journey says why: the backup is globex's only MX, and it leaves itself out.
      const journey = await get(`journey?message-id=${encodeURIComponent(carol.messageId)}`);
      expect(journey.hops[0].host).toBe('backup');
      const routed = journey.hops[0].steps.find((s: any) => s.type === 'routed');
      expect(routed.text).toMatch(/it is MX 50 itself.*nowhere to go: 554 5\.4\.6 .*loops back to myself/);
      expect(journey.hops[0].steps.map((s: any) => s.type)).toContain('bounced');

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${url.href}#/verify`);
        const failure = page.locator('ul.cases li[data-case="carol@globex.example"]');
        await failure.waitFor();
        await screenshot(page, 'dashboard-verify');
        await failure.locator('a', { hasText: 'journey of' }).click();
        await page.locator('.hop[data-hop="backup"] .step.routed').first().waitFor();
        expect(await page.locator('.hop[data-hop="backup"] .step.routed').first().textContent()).toMatch(
          /loops back to myself/,
        );
        await screenshot(page, 'dashboard-verify-journey');
      } finally {
        await browser.close();
      }
    } finally {
      child.kill('SIGINT');
    }
    // Ctrl-C closes the dashboard; the verdict stands: a scenario failed.
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/delivery: carol@globex\.example/);
  }, 120_000);
});
