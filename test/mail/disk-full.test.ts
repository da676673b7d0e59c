/**
 * A full disk (issue 10): the relays' state directory on a real, small file system (a tmpfs of
 * a few MB, test/helpers/small-fs.ts), filled to the last byte while mail flows. The relays must
 * answer 4xx and keep running, start on the full disk, and recover by themselves once space
 * returns: every message answered 250 arrives exactly once, none answered 4xx arrives at all,
 * and no empty spool segment or temporary file is left behind.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mountSmallFs, smallFsAvailable, type SmallFs } from '../helpers/small-fs.js';
import { planOf, topology } from '../helpers/topology.js';
import { message, startMailNet, type MailNet } from './support/mail-net.js';

const available = smallFsAvailable();
const plan = await planOf(topology());

/** The mailboxes each recipient reaches, host by host (the base topology). */
const reaches: Record<string, [host: string, address: string][]> = {
  'alice@acme.example': [['store1', 'alice@acme.example']],
  'bob@acme.example': [['store2', 'bob@acme.example']],
  'sales@acme.example': [
    ['store1', 'alice@acme.example'],
    ['store2', 'bob@acme.example'],
    ['store2', 'carol@globex.example'],
  ],
};
/** Where each send goes in: the MX (store1) and the backup, which queues for store1. */
const routes: [host: string, to: string][] = [
  ['store1', 'alice@acme.example'],
  ['store1', 'bob@acme.example'],
  ['store1', 'sales@acme.example'],
  ['backup', 'alice@acme.example'],
];

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  return out;
}

describe.runIf(available)('a full disk', () => {
  let fs: SmallFs;
  let net: MailNet;
  const sent: { subject: string; host: string; to: string; code: number }[] = [];

  /** Large enough that the spool's preallocated space runs out while the disk is full. */
  const body = `${'x'.repeat(76)}\r\n`.repeat(2000);
  const send = async (host: string, to: string, subject: string) => {
    let code: number;
    try {
      const raw = message('carol@globex.example', to, subject, body);
      const { response } = await net.send(host, { from: 'carol@globex.example', to: [to] }, raw);
      code = Number(response.slice(0, 3));
    } catch (error) {
      code = (error as { responseCode?: number }).responseCode ?? 0;
    }
    sent.push({ subject, host, to, code });
    return code;
  };

  beforeAll(async () => {
    fs = await mountSmallFs(16 * 1024 * 1024);
  });
  afterAll(async () => {
    await net?.close();
    await fs?.unmount();
  });

  it('answers 4xx while full, starts on a full disk, and delivers everything acknowledged once space returns', async () => {
    const stateDir = join(fs.dir, 'state');
    net = await startMailNet(plan, ['store1', 'store2', 'backup'], {}, stateDir);
    for (const [host, to] of routes) expect(await send(host, to, `before ${host} ${to}`)).toBe(250);

    await fs.fill();
    for (let round = 0; round < 5; round++)
      for (const [host, to] of routes) {
        const code = await send(host, to, `full ${round} ${host} ${to}`);
        expect([250, 452]).toContain(code);
      }
    expect(sent.filter((s) => s.code !== 250).length).toBeGreaterThan(0);

    // A host restarted on the full disk, then the whole sandbox.
    await net.stop('store1');
    await net.start('store1');
    await net.close();
    // Mail the relays delivered meanwhile left their spools and freed space: take it again, so
    // this start really meets a full disk.
    await fs.fill();
    net = await startMailNet(plan, ['store1', 'store2', 'backup'], {}, stateDir);
    for (const [host, to] of routes) await send(host, to, `after restart ${host} ${to}`);
    // endpoints.json could not be written: it is gone rather than stale (the ports changed)
    await expect(readFile(join(stateDir, 'endpoints.json'))).rejects.toMatchObject({ code: 'ENOENT' });

    await fs.free();
    // and is written once space returns, with the ports of this start
    const endpoints = await vi.waitFor(
      async () =>
        JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as {
          hosts: Record<string, { port: number }>;
        },
      { timeout: 5000 },
    );
    expect(endpoints.hosts.store1!.port).toBe(net.port('store1'));
    for (const [host, to] of routes) expect(await send(host, to, `freed ${host} ${to}`)).toBe(250);
    for (const host of ['store1', 'store2', 'backup']) net.relay(host).retryNow();

    // Every 250 arrives in every mailbox it reaches exactly once; nothing refused arrives.
    const expected = new Map<string, number>();
    for (const s of sent)
      for (const [host, address] of reaches[s.to]!) {
        const key = `${host} ${address} ${s.subject}`;
        expected.set(key, s.code === 250 ? 1 : 0);
      }
    const count = async () => {
      const seen = new Map<string, number>();
      for (const [host, address] of [
        ['store1', 'alice@acme.example'],
        ['store2', 'bob@acme.example'],
        ['store2', 'carol@globex.example'],
      ] as const)
        for (const mail of await net.mailbox(host, address)) {
          const key = `${host} ${address} ${mail.subject}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      return new Map([...expected.keys()].map((k) => [k, seen.get(k) ?? 0]));
    };
    await expect.poll(count, { timeout: 20_000, interval: 250 }).toEqual(expected);
    await expect
      .poll(() => ['store1', 'store2', 'backup'].map((h) => net.relay(h).queued()), { timeout: 10_000 })
      .toEqual([0, 0, 0]);

    // No litter: each relay's spool is down to its current segment, no temporary files anywhere.
    for (const host of ['store1', 'store2', 'backup']) {
      const segments = (await readdir(join(stateDir, host, 'queue'))).filter((n) => n.startsWith('segment-'));
      expect(segments, host).toHaveLength(1);
    }
    expect((await files(stateDir)).filter((f) => /(^|\/)tmp\/|\.tmp$/.test(f))).toEqual([]);
  });
});
