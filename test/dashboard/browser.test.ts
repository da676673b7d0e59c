/**
 * The dashboard in a real browser (Debian's Chromium, through playwright-core), over `mxplan
 * sandbox --ui` run as a user runs it, with swaks as the outside SMTP client. Screenshots go to
 * test-artifacts/; MXPLAN_WRITE_DOCS=1 also writes the README's docs/dashboard.png. Mermaid's
 * own parser reads `mxplan graph` here too, since it needs a browser's DOM.
 */
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { mxplan, ROOT } from '../helpers/cli.js';
import { startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasChromium = requireTool('chromium');
const hasSwaks = requireTool('swaks');
const BUILDING = 'examples/building/topology.yaml';
const HOSTING = 'examples/hosting/topology.yaml';

async function swaks(port: number, to: string, subject: string): Promise<string> {
  const args = ['--server', `127.0.0.1:${port}`, '--from', 'ext@outside.example', '--to', to, '--h-Subject', subject];
  return (await run('swaks', [...args, '--body', `body of ${subject}`, '--timeout', '10'])).stdout;
}

describe.runIf(hasChromium && hasSwaks)('the dashboard in Chromium', () => {
  let browser: BrowserContext;
  let sandbox: SandboxProcess;
  let url: URL;
  beforeAll(async () => {
    browser = await launchChromium();
    sandbox = await startSandboxProcess(BUILDING, await tempDir('browser'), ['--ui']);
    url = new URL(sandbox.dashboard!);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    await removeTempDirs();
  });
  /** A host's status as the API tells it. */
  const statusOf = async (id: string): Promise<string | undefined> => {
    const headers = { authorization: `Bearer ${url.searchParams.get('token')}` };
    const hosts = (await (await fetch(new URL('/api/hosts', url), { headers })).json()) as {
      id: string;
      status: string;
    }[];
    return hosts.find((h) => h.id === id)?.status;
  };

  it('renders the building example: the plan diagram with every host and domain, and the host table', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url.href);
    await page.locator('.diagram svg g.host').first().waitFor();
    expect(await page.locator('.diagram svg g.host').evaluateAll((nodes) => nodes.map((n) => n.id).sort())).toEqual([
      'host-backup',
      'host-mail1',
      'host-mail2',
    ]);
    expect(await page.locator('.diagram svg g.domain').count()).toBe(5);
    await expect.poll(() => page.locator('.diagram g.host[data-status="up"]').count()).toBe(3);
    expect(await page.locator('table.hosts tbody tr').count()).toBe(3);
    expect(await page.locator('nav a').allTextContents()).toEqual(
      expect.arrayContaining(['Plan', 'mail1 up', 'mail2 up', 'backup up', 'Activity', 'DNS log']),
    );
    await screenshot(page, 'dashboard-plan');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('takes a host down from the page: the API and the sandbox say it is down; up brings it back', async () => {
    const page = await browser.newPage();
    await page.goto(url.href);
    const row = page.locator('table.hosts tr[data-host="mail2"]');
    await row.locator('button[data-action="down"]').click();
    await row.locator('[data-status="down"]').waitFor();
    await page.locator('.diagram g.host[id="host-mail2"][data-status="down"]').waitFor();
    expect(await statusOf('mail2')).toBe('down');
    await sandbox.control('status', /mail2\s+down/);
    await screenshot(page, 'dashboard-host-down');
    if (process.env.MXPLAN_WRITE_DOCS)
      await copyFile(join(ROOT, 'test-artifacts/dashboard-host-down.png'), join(ROOT, 'docs/dashboard.png'));

    await row.locator('button[data-action="up"]').click();
    await row.locator('[data-status="up"]').waitFor();
    await sandbox.control('status', /mail2\s+up/);
    await page.close();
  });

  it('shows a message sent with swaks in the right mailbox within a second, with its envelope and journey', async () => {
    const page = await browser.newPage();
    await page.goto(`${url.href}#/host/mail2/mailbox/bob@acme.example`);
    await page.locator('section.host[data-host="mail2"]').waitFor();
    const subject = `browser ${Date.now()}`;
    // bob lives on mail2: the message goes in at mail1, which forwards it.
    expect(await swaks(sandbox.endpoints.hosts.mail1!.port, 'bob@acme.example', subject)).toMatch(/<-\s+250 /);
    const row = page.locator('.messages tr', { hasText: subject });
    await row.waitFor({ timeout: 1000 });
    await row.locator('a').click();
    const message = page.locator('article.message');
    await message.waitFor();
    expect(await message.locator('.envelope').textContent()).toMatch(/ext@outside\.example.*bob@acme\.example/s);
    await message.locator('button', { hasText: 'received' }).click();
    expect(await message.locator('.trail li').allTextContents()).toEqual([
      expect.stringMatching(/^by mail2\.tower\.example/),
      expect.stringMatching(/^by mail1\.tower\.example/),
    ]);
    await screenshot(page, 'dashboard-mailbox');
    // The journey: mail1 took it, routed it to mail2 at its planned address, mail2 stored it.
    await message.locator('.envelope a').click();
    await page.locator('section.journey .hop').nth(1).waitFor();
    expect(
      await page.locator('section.journey .hop').evaluateAll((hops) => hops.map((h) => h.getAttribute('data-hop'))),
    ).toEqual(['mail1', 'mail2']);
    expect(await page.locator('.hop[data-hop="mail1"] .step.routed').textContent()).toMatch(/planned host mail2/);
    await screenshot(page, 'dashboard-journey');
    // mail1 only passed it on: it holds no mailbox.
    await page.goto(`${url.href}#/host/mail1`);
    await page.locator('section.host[data-host="mail1"]').waitFor();
    expect(await page.locator('ul.boxes').count()).toBe(0);
    await page.close();
  });

  it('refuses the page without the token, and a foreign page that knows the token cannot drive it', async () => {
    const page = await browser.newPage();
    const bare = new URL(url.href);
    bare.search = '';
    const refused = await page.goto(bare.href);
    expect(refused!.status()).toBe(401);
    expect(await page.content()).not.toContain('mail1.tower.example');

    // A page of another origin (another loopback port) posts to the dashboard with the token.
    const evil: Server = createServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
    try {
      const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
      await page.goto(evilUrl);
      const target = new URL('/api/hosts/mail1/down', url);
      target.search = url.search;
      const outcome = await page.evaluate(async (href) => {
        try {
          // A simple request: the browser sends it, Origin and all, without asking first.
          const response = await fetch(href, { method: 'POST' });
          return `status ${response.status}`;
        } catch (error) {
          return `failed: ${String(error)}`;
        }
      }, target.href);
      expect(outcome).toMatch(/^failed: TypeError/);
      await new Promise((r) => setTimeout(r, 300));
      expect(await statusOf('mail1')).toBe('up');
      await sandbox.control('status', /mail1\s+up/);
      expect(sandbox.output()).not.toMatch(/mail1 is down/);
    } finally {
      await new Promise<void>((resolve) => {
        evil.close(() => resolve());
        evil.closeAllConnections(); // the browser keeps its connection alive
      });
    }
    await page.close();
  });
});

describe.runIf(hasChromium)('the hosting example and the Mermaid diagrams in Chromium', () => {
  let browser: BrowserContext;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await removeTempDirs();
  });

  it('renders the hosting example, every host in the diagram', async () => {
    const sandbox = await startSandboxProcess(HOSTING, await tempDir('browser-hosting'), ['--ui']);
    try {
      const page = await browser.newPage();
      await page.goto(sandbox.dashboard!);
      await page.locator('.diagram svg g.host').first().waitFor();
      expect(await page.locator('.diagram svg g.host').count()).toBe(Object.keys(sandbox.endpoints.hosts).length);
      await expect.poll(() => page.locator('table.hosts [data-status="up"]').count()).toBe(6);
      await screenshot(page, 'dashboard-hosting');
      await page.close();
    } finally {
      await sandbox.stop();
    }
  }, 60_000);

  it.each([BUILDING, HOSTING])("Mermaid's own parser reads `mxplan graph %s` and draws it", async (file) => {
    const graph = await mxplan(['graph', file]);
    expect(graph.code, graph.stderr).toBe(0);
    const page = await browser.newPage();
    await page.setContent('<!doctype html><div id="out"></div>');
    await page.addScriptTag({ path: join(ROOT, 'node_modules/mermaid/dist/mermaid.min.js') });
    const result = await page.evaluate(async (text) => {
      const mermaid = Reflect.get(globalThis, 'mermaid');
      mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
      const parsed = await mermaid.parse(text);
      // The parser is not blind: a broken edge is an error.
      const broken = await mermaid.parse(`${text}\n  d1 -->|"x"`).then(
        () => 'accepted',
        (e: Error) => e.message.split('\n')[0],
      );
      const { svg } = await mermaid.render('plan', text);
      // The page's DOM (this project's TypeScript has no DOM types: it runs in Node).
      const document = Reflect.get(globalThis, 'document');
      document.getElementById('out').innerHTML = svg;
      return { type: parsed.diagramType, broken, nodes: document.querySelectorAll('#out .node').length as number };
    }, graph.stdout);
    expect(result.type).toMatch(/flowchart/);
    expect(result.broken).not.toBe('accepted');
    expect(result.nodes).toBeGreaterThanOrEqual(4);
    await screenshot(page, `mermaid-${file.split('/')[1]}`);
    await page.close();
  });
});
