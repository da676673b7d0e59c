/**
 * Crash safety: the MX relay (store1) runs in a child process and dies by SIGKILL; restarted on
 * the same state directory, it delivers every acknowledged message, and the home store's mailbox
 * holds exactly one copy.
 *
 * 1. killed after its 250 and before onward delivery (the home host is down meanwhile);
 * 2. killed after the home host's 250 and before recording it (the resend is a duplicate that
 *    the home host recognises by its delivery key).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailEvent } from '../../src/mail/events.js';
import { planOf, topology } from '../helpers/topology.js';
import { message, startMailNet, type MailNet } from './support/mail-net.js';

const here = (file: string) => fileURLToPath(new URL(`./support/${file}`, import.meta.url));
const topologyText = JSON.stringify(topology(), null, 2);
const plan = await planOf(topologyText);

/** store1 in a child process; its mail events arrive as JSON lines. */
class ChildRelay {
  readonly events: MailEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private stderr = '';

  constructor(config: object) {
    this.process = spawn(
      process.execPath,
      ['--import', here('register-ts.mjs'), here('relay-child.ts'), JSON.stringify(config)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let partial = '';
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as MailEvent);
      for (const w of this.waiters) w();
    });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  waitFor(match: (e: MailEvent) => boolean, timeoutMs = 20_000): Promise<MailEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(onData);
        resolve(found);
        return true;
      };
      const onData = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(onData);
        reject(
          new Error(
            `child: no matching event in ${timeoutMs} ms\nevents: ${this.events.map((e) => JSON.stringify(e)).join('\n')}\nstderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.waiters.add(onData);
      void this.exited.then(() =>
        setTimeout(
          () =>
            check() ||
            (clearTimeout(timer),
            this.waiters.delete(onData),
            reject(new Error(`child exited; stderr: ${this.stderr}`))),
          50,
        ),
      );
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}

let net: MailNet | undefined;
let stateDir: string | undefined;
const children: ChildRelay[] = [];
afterEach(async () => {
  // Every child gone before its state directory is removed under it.
  await Promise.all(children.splice(0).map((child) => (child.kill('SIGKILL'), child.exited)));
  await net?.close();
  net = undefined;
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function setup() {
  stateDir = await mkdtemp(join(tmpdir(), 'mxplan-crash-'));
  net = await startMailNet(plan, ['store2'], {}, stateDir);
  const store1 = plan.hosts.get('store1')!;
  const store2 = plan.hosts.get('store2')!;
  const config = (port: number, killOn?: Partial<MailEvent>) => ({
    topology: topologyText,
    hostId: 'store1',
    stateDir,
    port,
    dns: { address: net!.dns.address, port: net!.dns.port },
    book: [...store2.ipv4, ...store2.ipv6].map((a) => [a, { host: '127.0.0.1', port: net!.port('store2') }]),
    killOn,
  });
  const startChild = async (port: number, killOn?: Partial<MailEvent>) => {
    const child = new ChildRelay(config(port, killOn));
    children.push(child);
    const listening = (await child.waitFor((e) => e.type === 'listening')) as Extract<MailEvent, { type: 'listening' }>;
    for (const a of [...store1.ipv4, ...store1.ipv6]) net!.book.set(a, { host: '127.0.0.1', port: listening.port });
    return { child, port: listening.port };
  };
  return { net, startChild };
}

const bobsCopies = async (n: MailNet, subject: string) =>
  (await n.mailbox('store2', 'bob@acme.example')).filter((m) => m.subject === subject);

describe('crash safety', () => {
  it('kill -9 after the 250 and before onward delivery: delivered exactly once after the restart', async () => {
    const { net, startChild } = await setup();
    await net.stop('store2'); // bob's home is down: the message must wait in store1's queue
    const first = await startChild(0);

    const sent = await sendTo(first.port, 'after 250');
    expect(sent).toMatch(/^250 2\.0\.0 Ok: queued as/);
    await first.child.waitFor((e) => e.type === 'deferred');
    first.child.kill('SIGKILL');
    expect(await first.child.exited).toMatchObject({ signal: 'SIGKILL' });

    await net.start('store2');
    const second = await startChild(first.port);
    await second.child.waitFor((e) => e.type === 'resumed');
    await second.child.waitFor((e) => e.type === 'delivered' && e.recipient === 'bob@acme.example');
    expect(await bobsCopies(net, 'after 250')).toHaveLength(1);
  });

  it("kill -9 between the next hop's 250 and the queue's record of it: the resend is absorbed", async () => {
    const { net, startChild } = await setup();
    const since = net.events.length;
    const first = await startChild(0, { type: 'delivered', recipient: 'bob@acme.example', to: 'mail2.infra.example' });
    await sendTo(first.port, 'in the window');
    expect(await first.child.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await bobsCopies(net, 'in the window')).toHaveLength(1);

    const second = await startChild(first.port);
    await second.child.waitFor((e) => e.type === 'delivered' && e.recipient === 'bob@acme.example');
    const copies = net.events.slice(since).filter((e) => e.type === 'delivered' && e.host === 'store2');
    expect(copies.map((e) => (e as { duplicate: boolean }).duplicate)).toEqual([false, true]);
    expect(await bobsCopies(net, 'in the window')).toHaveLength(1);
  });
});

async function sendTo(port: number, subject: string): Promise<string> {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    name: 'client.example.com',
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: 'carol@globex.example', to: ['bob@acme.example'] },
      raw: message('carol@globex.example', 'bob@acme.example', subject),
    });
    return info.response;
  } finally {
    transport.close();
  }
}
