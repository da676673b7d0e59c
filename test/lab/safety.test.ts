/**
 * The lab is connected to nothing else, and leaves nothing behind:
 * - from a lab namespace, an address outside the plan (the root namespace's own, or any other)
 *   is unreachable, while the planned ones are reached;
 * - the root namespace gains no link, address or route (so nothing leads from it into the lab:
 *   the lab's addresses are not tried from the root, which would send packets to a real network);
 *   an outside domain's exchange listens in the outside namespace only, and what a host sends
 *   there reaches the caller's listener on loopback through the lab's process;
 * - a lab killed with SIGKILL leaves its namespaces and daemons, and the next start removes them,
 *   as `mxplan sandbox --lab --cleanup` does; SIGTERM removes them at once;
 * - off Linux or without root, --lab exits 2 with one line pointing at the loopback sandbox;
 * - `mxplan sandbox --lab`'s control input takes a host down both ways, seen from the outside,
 *   and so does its dashboard (--ui), through the API its page uses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Lab } from '../../src/lab/lab.js';
import { labUnavailable } from '../../src/lab/platform.js';
import { mxplan, ROOT } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';
import { haveLab, labFactory, labNamespacesOf, recordLab } from './support/lab.js';
import { labLeftovers } from './support/leftovers.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
afterAll(removeTempDirs);

/** A temporary directory the lab's daemons (their own users) may pass through. */
async function labDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  await chmod(dir, 0o711);
  return dir;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** What the root namespace has: links (name and kind), addresses, routes of every table. */
function rootNetwork(): string {
  return (
    [
      ip('-o', 'link', 'show')
        .replace(/^\d+: /gm, '')
        .replace(/ +link\/.*$/gm, ''),
      ip('-o', 'addr', 'show'),
      ip('-4', 'route', 'show', 'table', 'all'),
      ip('-6', 'route', 'show', 'table', 'all'),
    ]
      .join('\n')
      .split('\n')
      // A link's state and counters may change meanwhile; its name, kind and addresses may not.
      .map((l) => l.replace(/ +state \w+/g, '').replace(/ +(qdisc|mtu|qlen|group) \S+/g, ''))
      .sort()
      .join('\n')
  );
}

/** Connects from a namespace with node, and says "connected" or the error code. */
function connectFrom(namespace: string, address: string, port: number): string {
  const script =
    `const s=require('net').connect({host:process.argv[1],port:+process.argv[2],timeout:2000});` +
    `s.on('connect',()=>{console.log('connected');s.destroy()});` +
    `s.on('timeout',()=>{console.log('ETIMEDOUT');s.destroy()});s.on('error',e=>console.log(e.code))`;
  return ip('netns', 'exec', namespace, process.execPath, '-e', script, address, String(port)).trim();
}

/** The local addresses of the TCP listeners in a namespace (the root one without), sorted. */
function listening(namespace?: string): string {
  const ss = ['ss', '-Hltn'];
  const out = namespace
    ? ip('netns', 'exec', namespace, ...ss)
    : execFileSync(ss[0]!, ss.slice(1), { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((a): a is string => a !== undefined)
    .sort()
    .join('\n');
}

/** The root namespace's own addresses other than loopback. */
function rootAddresses(): string[] {
  return ip('-o', 'addr', 'show', 'scope', 'global')
    .split('\n')
    .map((l) => /inet6? ([^/ ]+)/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.includes(':'));
}

const plan = await planOf(topology());

/** `mxplan sandbox --lab`, until its table is out; its namespaces written down. */
async function startSandbox(
  extra: readonly string[] = [],
): Promise<{ child: ChildProcess; namespaces: string[]; output: () => string }> {
  const dir = await labDir('lab-safety');
  const file = join(dir, 'topology.json');
  await writeFile(file, JSON.stringify(topology()));
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/mxplan.js'), 'sandbox', '--lab', file, '--state', join(dir, 'state'), ...extra],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/^type "down <host>"/m.test(out)) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the sandbox ended (${code}) before it was up:\n${out}`)));
  });
  const namespaces = labNamespacesOf(child.pid!);
  recordLab(`mxlab-${child.pid}`, namespaces);
  return { child, namespaces, output: () => out };
}

const ended = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

function namespaceEntries(namespaces: readonly string[]) {
  return namespaces.map((ns) => ({ ns, inode: execInode(ns) }));
}
function execInode(ns: string): number {
  return Number(execFileSync('stat', ['-c', '%i', `/run/netns/${ns}`], { encoding: 'utf8' }).trim());
}

describe('the platform check', () => {
  it('says what is missing without CAP_NET_ADMIN and CAP_SYS_ADMIN', () => {
    if (process.platform !== 'linux') return expect(labUnavailable()).toMatch(/needs Linux/);
    const none = labUnavailable(() => 'Name:\tnode\nCapEff:\t0000000000000000\n');
    expect(none).toMatch(
      /the lab needs root with CAP_NET_ADMIN and CAP_SYS_ADMIN \(missing CAP_NET_ADMIN, CAP_SYS_ADMIN\)/,
    );
    // CAP_NET_ADMIN (bit 12) only.
    expect(labUnavailable(() => 'CapEff:\t0000000000001000\n')).toMatch(/\(missing CAP_SYS_ADMIN\)$/);
  });
});

describe('the lab tests under CI', () => {
  it('fail, never skip, when a tool the lab runs is missing', () => {
    const saved = { PATH: process.env.PATH, CI: process.env.CI };
    try {
      process.env.PATH = '/nonexistent';
      process.env.CI = 'true';
      expect(() => haveLab()).toThrow(/is required under CI|CI runs the lab tests/);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.CI === undefined) delete process.env.CI;
      else process.env.CI = saved.CI;
    }
  });
});

describe.runIf(haveLab())('the lab, kept apart', () => {
  it('without root, --lab exits 2 with one line that points at the loopback sandbox', async () => {
    const dir = await tempDir('lab-nobody');
    await chmod(dir, 0o755);
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(topology()));
    for (const args of [
      ['verify', '--lab', file],
      ['sandbox', '--lab', file],
      ['sandbox', '--lab', '--cleanup'],
    ]) {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin/mxplan.js'), ...args], {
          uid: 65534,
          gid: 65534,
          cwd: dir,
          env: { PATH: process.env.PATH, NO_COLOR: '1', HOME: dir },
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('close', (code) => resolve({ code, stderr }));
      });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toMatch(/the lab needs root.*; the loopback sandbox runs the same plan and needs neither/);
    }
  });

  it('reaches the planned addresses and nothing else; the root namespace gains no link, address or route', async () => {
    const before = rootNetwork();
    // The caller's listener for an outside domain: on loopback, in the root namespace.
    const callers: string[] = [];
    const caller = createServer((socket) => {
      callers.push(socket.remoteAddress!);
      socket.destroy();
    });
    await new Promise<void>((resolve) => caller.listen(0, '127.0.0.1', resolve));
    const port = (caller.address() as { port: number }).port;
    const lab = (await labFactory({ mta: 'builtin', dns: 'builtin' })({
      plan,
      stateDir: join(await labDir('lab-apart'), 'state'),
      outside: [{ domain: 'safety-receiver.test', endpoint: { host: '127.0.0.1', port } }],
    })) as Lab;
    try {
      expect(rootNetwork()).toEqual(before);
      const [exchange] = lab.outside;
      expect(exchange!.addresses).toHaveLength(2);
      for (const address of exchange!.addresses) {
        // Its port 25 is a listener of the outside namespace, and of no other.
        expect(listening(lab.layout.outside.namespace)).toContain(
          `${address.includes(':') ? `[${address}]` : address}:25`,
        );
        for (const ns of lab.namespaces.filter((n) => n !== lab.layout.outside.namespace))
          expect(listening(ns), ns).not.toContain(address);
        expect(listening()).not.toContain(address);
      }
      // A host reaches it over the lab's links; the connection arrives at the caller's listener.
      const [v4] = exchange!.addresses;
      expect(connectFrom(lab.layout.host('store1').namespace, v4!, 25)).toBe('connected');
      await vi.waitFor(() => expect(callers).toEqual(['127.0.0.1']), { timeout: 10_000, interval: 50 });
      const store1 = lab.layout.host('store1');
      const store2 = lab.layout.host('store2');
      // A positive control: the same probe reaches a planned host.
      expect(connectFrom(store1.namespace, store2.ipv4[0]!, 25)).toBe('connected');
      expect(connectFrom(lab.layout.outside.namespace, store2.ipv4[0]!, 25)).toBe('connected');
      // Outside the plan: no route (ENETUNREACH), so not one packet leaves.
      for (const address of ['198.18.0.1', '192.0.2.99', '8.8.8.8', '2001:db8:ffff::1', ...rootAddresses()]) {
        expect(connectFrom(store1.namespace, address, 25), address).toBe('ENETUNREACH');
        expect(connectFrom(lab.layout.outside.namespace, address, 25), address).toBe('ENETUNREACH');
      }
      // No default route in any machine; the switch has no address at all.
      for (const ns of lab.namespaces) {
        expect(ip('-n', ns, '-4', 'route', 'show', 'default'), ns).toBe('');
        expect(ip('-n', ns, '-6', 'route', 'show', 'default'), ns).toBe('');
      }
      expect(ip('-n', lab.layout.names.switch, '-o', 'addr', 'show', 'scope', 'global')).toBe('');
    } finally {
      await lab.close();
      await new Promise<void>((resolve) => caller.close(() => resolve()));
    }
    expect(rootNetwork()).toEqual(before);
    expect(labLeftovers(namespaceEntries([]))).toEqual([]);
  });

  it('the control input takes a host down both ways: stopped refuses, cut off times out', async () => {
    const { child, output } = await startSandbox();
    try {
      const address = plan.hosts.get('store2')!.ipv4[0]!;
      const outside = labNamespacesOf(child.pid!).find((ns) => ns.endsWith('-outside'))!;
      const say = async (line: string, answer: RegExp) => {
        child.stdin!.write(`${line}\n`);
        await vi.waitFor(() => expect(output()).toMatch(answer), { timeout: 30_000, interval: 50 });
      };
      expect(connectFrom(outside, address, 25)).toBe('connected');
      await say('cut store2', /^store2 is cut$/m);
      expect(connectFrom(outside, address, 25)).toBe('ETIMEDOUT');
      await say('up store2', /^store2 is up$/m);
      expect(connectFrom(outside, address, 25)).toBe('connected');
      await say('down store2', /^store2 is down$/m);
      expect(connectFrom(outside, address, 25)).toBe('ECONNREFUSED');
      await say('status', /^store2 +down$/m);
    } finally {
      child.kill('SIGTERM');
      await ended(child);
    }
  });

  it('--ui: the dashboard drives the lab through its API, and the link really goes down and up', async () => {
    const { child, output } = await startSandbox(['--ui']);
    try {
      const url = new URL(/^dashboard: (http:\/\/\S+)$/m.exec(output())![1]!);
      expect(url.hostname).toBe('127.0.0.1');
      const token = url.searchParams.get('token')!;
      const api = async (path: string, method = 'GET') => {
        const response = await fetch(new URL(path, url), { method, headers: { authorization: `Bearer ${token}` } });
        expect(response.status, path).toBe(200);
        return await response.json();
      };
      const statuses = async () =>
        Object.fromEntries(
          ((await api('/api/hosts')) as { id: string; status: string }[]).map((h) => [h.id, h.status]),
        );
      expect(await statuses()).toEqual({ store1: 'up', store2: 'up', backup: 'up' });
      expect((await fetch(new URL('/api/hosts', url))).status).toBe(401);

      const address = plan.hosts.get('store2')!.ipv4[0]!;
      const outside = labNamespacesOf(child.pid!).find((ns) => ns.endsWith('-outside'))!;
      await api('/api/hosts/store2/cut', 'POST');
      expect((await statuses())['store2']).toBe('cut');
      expect(connectFrom(outside, address, 25)).toBe('ETIMEDOUT');
      await api('/api/hosts/store2/up', 'POST');
      expect((await statuses())['store2']).toBe('up');
      expect(connectFrom(outside, address, 25)).toBe('connected');
      // The lab's own log and its control input saw what the page did.
      expect(output()).toMatch(/ store2 +is cut\n.* store2 +is up\n/);
      child.stdin!.write('status\n');
      await vi.waitFor(() => expect(output()).toMatch(/^store2 +up, 0 queued$/m), { timeout: 30_000, interval: 50 });
    } finally {
      child.kill('SIGTERM');
      await ended(child);
    }
  });

  it('SIGTERM: the sandbox removes its namespaces and daemons before it ends', async () => {
    const { child, namespaces } = await startSandbox();
    const entries = namespaceEntries(namespaces);
    expect(namespaces.length).toBeGreaterThan(3);
    child.kill('SIGTERM');
    await ended(child);
    expect(labLeftovers(entries)).toEqual([]);
  });

  it('SIGKILL: the lab is left as it was, and the next start removes it', async () => {
    const { child, namespaces } = await startSandbox();
    const entries = namespaceEntries(namespaces);
    child.kill('SIGKILL');
    await ended(child);
    // What a kill leaves: every namespace (its helpers may follow their parent out once their
    // channel closes, or still run: how soon is the scheduler's, so either is fine here).
    const left = labLeftovers(entries);
    expect(left.filter((l) => l.startsWith('namespace ')).length).toBe(namespaces.length);
    const next = await labFactory({ mta: 'builtin', dns: 'builtin' })({
      plan,
      stateDir: join(await labDir('lab-next'), 'state'),
    });
    try {
      expect(labNamespacesOf(child.pid!)).toEqual([]);
    } finally {
      await next.close();
    }
    // Only now by inode too: namespace inodes are reused, the next lab's may be the old ones.
    expect(labLeftovers(entries)).toEqual([]);
  });

  it('SIGKILL: `mxplan sandbox --lab --cleanup` removes it, and leaves a running lab alone', async () => {
    const killed = await startSandbox();
    const running = await startSandbox();
    try {
      const entries = namespaceEntries(killed.namespaces);
      killed.child.kill('SIGKILL');
      await ended(killed.child);
      expect(labLeftovers(entries).length).toBeGreaterThan(0);
      const result = await mxplan(['sandbox', '--lab', '--cleanup']);
      expect(result.code, result.stderr).toBe(0);
      // "N running": ours, and any lab another test file runs meanwhile
      expect(result.stdout).toMatch(
        new RegExp(
          `^removed 1 lab\\(s\\) whose process was gone: ${killed.namespaces.length} namespaces \\(mxlab-${killed.child.pid}-[^)]+\\); [1-9]\\d* running lab\\(s\\) left alone$`,
          'm',
        ),
      );
      expect(labLeftovers(entries)).toEqual([]);
      expect(labNamespacesOf(running.child.pid!)).toEqual(running.namespaces);
      const again = await mxplan(['sandbox', '--lab', '--cleanup']);
      // ours, and the labs of other test files running meanwhile: each is checked by its owner's pid
      expect(again.stdout).toMatch(/^nothing to clean up; [1-9]\d* running lab\(s\) left alone$/m);
    } finally {
      running.child.kill('SIGTERM');
      await ended(running.child);
    }
  });
});
