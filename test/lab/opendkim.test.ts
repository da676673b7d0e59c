/**
 * OpenDKIM in the lab, beside each signing host's Postfix (src/lab/opendkim.ts), on the building
 * example with BIND: it runs as the opendkim user in the host's namespace; opendkim-testkey,
 * asking the lab's name servers from a host's namespace, finds every published key record
 * matching its private key; and mail a user submits on mail1 for a user on mail2 arrives in
 * her Maildir signed by OpenDKIM, which dkimpy (python3-dkim) verifies against the lab's DNS,
 * also after the host went down and came back up. The expectations come from the plan's
 * selectors.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Lab } from '../../src/lab/lab.js';
import { mailboxDir } from '../../src/state-layout.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { ROOT } from '../helpers/cli.js';
import { dkimpy } from '../helpers/dkim.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requirePythonModule, requireTool } from '../helpers/tools.js';
import { haveLab, labFactory } from './support/lab.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const PATIENCE = 30_000;
const ready = haveLab() && requireTool('opendkim') && requireTool('opendkim-testkey') && requireTool('setpriv');
const python = requirePythonModule('dkim');

let plan: Plan;
let lab: Lab;

beforeAll(async () => {
  if (!ready) return;
  plan = (await loadPlan(join(ROOT, 'examples', 'building', 'topology.yaml'))).plan!;
  lab = (await labFactory({ mta: 'postfix', dns: 'bind' })({ plan, stateDir: await tempDir('lab-opendkim') })) as Lab;
});
afterAll(async () => {
  await lab?.close();
  await removeTempDirs();
});

/** Runs a command in a host's namespace (where /etc/resolv.conf names the lab's name servers). */
function inHost(hostId: string, command: string, args: readonly string[]) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('ip', ['netns', 'exec', lab.layout.host(hostId).namespace, command, ...args]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('close', (code) => resolve({ code, out }));
  });
}

/** The pid of a host's OpenDKIM, from its PidFile, when it runs. */
async function opendkimPid(hostId: string): Promise<number | undefined> {
  const file = join(lab.stateDir, hostId, 'opendkim-run', 'opendkim.pid');
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!(pid > 1)) return undefined;
  const state = /^State:\s+(\S)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1];
  return state && state !== 'Z' ? pid : undefined;
}

/** The plan's selectors that `hostId` signs `domain` with, by key type. */
function selectorsOf(domain: string, hostId: string) {
  return plan.domains.get(domain)!.dkim.filter((s) => s.active && s.signers.some((h) => h.id === hostId));
}

let counter = 0;
function message(token: string, from: string, to: string): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: <${to}>`,
      `Subject: opendkim ${token}`,
      'Date: Sat, 28 Nov 2026 04:00:00 +0000',
      `Message-ID: <${token}@opendkim.mxplan.invalid>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      `Signed where it was written (${token}).   `,
      '',
    ].join('\r\n'),
  );
}

/** Waits for the message with the token in the mailbox (Maildir new/) and returns it as delivered. */
async function delivered(hostId: string, address: string, token: string): Promise<Buffer> {
  const dir = join(mailboxDir(lab.maildirRoot(hostId), address), 'new');
  const deadline = Date.now() + PATIENCE;
  for (;;) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const raw = await readFile(join(dir, name));
      if (raw.includes(token)) return raw;
    }
    if (Date.now() > deadline) throw new Error(`${token} did not arrive in ${dir}`);
    await lab.retryNow();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** dkimpy's verdict on every signature of the message, its key records asked of the lab's DNS. */
const verified = async (raw: Buffer) => (await dkimpy(python!, lab.dns, [raw]))[0]!;

describe.runIf(ready && python)('OpenDKIM in the lab (Postfix, BIND), on the building example', () => {
  it('runs on every signing host, as the opendkim user, in the host’s namespace', async () => {
    const opendkimUid = (await readFile('/etc/passwd', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('opendkim:'))!
      .split(':')[2];
    for (const host of plan.hosts.values()) {
      const signs = [...plan.domains.values()].some((d) => selectorsOf(d.name, host.id).length > 0);
      expect(signs, host.id).toBe(true); // every host of the building signs (its bounces for tower.example)
      const pid = await opendkimPid(host.id);
      expect(pid, host.id).toBeDefined();
      const uid = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
      expect(uid, host.id).toBe(opendkimUid);
      const [own, ns] = await Promise.all([
        stat(`/proc/${pid}/ns/net`),
        stat(join('/run/netns', lab.layout.host(host.id).namespace)),
      ]);
      expect(own.ino, host.id).toBe(ns.ino);
    }
  });

  it('opendkim-testkey, as the opendkim user at the lab’s name servers, finds every published key matching its private key', async () => {
    // OpenDKIM's resolver (libunbound) does not read resolv.conf: its Nameservers setting names
    // the servers, here those of the namespace's resolv.conf (the lab's name servers).
    const resolvConf = await readFile(join('/etc/netns', lab.layout.host('mail1').namespace, 'resolv.conf'), 'utf8');
    const servers = [...resolvConf.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!);
    expect(servers.length).toBeGreaterThan(0);
    const config = join(lab.stateDir, 'testkey.conf');
    await writeFile(config, `Nameservers ${servers.join(',')}\n`, { mode: 0o644 });
    const checked: string[] = [];
    for (const domain of plan.domains.values())
      for (const s of domain.dkim) {
        if (!s.published) continue;
        const signer = s.signers[0]!;
        const record = `${s.selector}._domainkey.${s.domain}`;
        // RSA: the key as the signer's OpenDKIM has it (its /etc/dkimkeys); Ed25519, which it does
        // not install (docs/lab.md), from the topology.
        const key = s.type === 'rsa' ? `/etc/dkimkeys/${s.domain}.${s.selector.toLowerCase()}.pem` : s.keyFile;
        const { code, out } = await inHost(signer.id, 'setpriv', [
          '--reuid=opendkim',
          '--regid=opendkim',
          '--init-groups',
          'opendkim-testkey',
          '-x',
          config,
          '-d',
          s.domain,
          '-s',
          s.selector,
          '-k',
          key,
          '-vvv',
        ]);
        if (s.type === 'rsa')
          // "key OK": the record's p= is the private key's public half. No "unsafe permissions":
          // the key as installed is safe for OpenDKIM ("key not secure" means no DNSSEC here).
          expect({ code, ok: /key OK/.test(out), unsafe: /unsafe/.test(out) }, `${record}: ${out}`).toEqual({
            code: 0,
            ok: true,
            unsafe: false,
          });
        // Debian 12's opendkim-testkey (2.11.0~beta2) tests RSA keys only: an Ed25519 one fails
        // to load as RSA. Its records are proven by dkimpy on the relays' signatures (test/mail).
        else
          expect({ code, out }, record).toEqual({
            code: 69,
            out: expect.stringMatching(/EVP_PKEY_get1_RSA\(\) failed/),
          });
        checked.push(`${record} ${s.type}`);
      }
    // Four domains, an RSA and an Ed25519 selector each.
    expect(checked.filter((c) => c.endsWith(' rsa')).length).toBe(4);
    expect(checked.length).toBe(8);
  });

  const send = async () => {
    const token = `odk${++counter}x${Date.now().toString(36)}`;
    await lab.submit(
      'mail1',
      { from: 'alice@acme.example', to: ['carol@globex.example'] },
      message(token, 'Alice <alice@acme.example>', 'carol@globex.example'),
    );
    return verified(await delivered('mail2', 'carol@globex.example', token));
  };
  // alice (acme.example, on mail1) writes to carol (globex.example, on mail2): the mail
  // originates on mail1, whose OpenDKIM signs it with acme.example's RSA selectors. Its Ed25519
  // selector is not signed with (OpenDKIM 2.11 signs with one algorithm per instance: docs/lab.md).
  const expected = () =>
    selectorsOf('acme.example', 'mail1')
      .filter((s) => s.type === 'rsa')
      .map((s) => ({ d: 'acme.example', s: s.selector, a: 'rsa-sha256', ok: true }));

  it('signs mail that originates on a host; dkimpy verifies the signature at the lab’s DNS', async () => {
    expect(expected().length).toBeGreaterThan(0);
    const signatures = await send();
    expect(signatures.map(({ d, s, a, ok }) => ({ d, s, a, ok }))).toEqual(expected());
    // Postfix reached its milter every time (no "connect to Milter service ...: Permission denied").
    for (const host of plan.hosts.keys()) {
      const log = await readFile(join(lab.stateDir, host, 'log', 'postfix.log'), 'utf8');
      expect(
        log.split('\n').filter((l) => /milter/i.test(l)),
        host,
      ).toEqual([]);
    }
  });

  it('down stops OpenDKIM with Postfix, up starts both, and the host signs again', async () => {
    const before = await opendkimPid('mail1');
    expect(before).toBeDefined();
    await lab.down('mail1');
    expect(await opendkimPid('mail1')).toBeUndefined();
    await lab.up('mail1');
    const after = await opendkimPid('mail1');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    const signatures = await send();
    expect(signatures.map(({ d, s, a, ok }) => ({ d, s, a, ok }))).toEqual(expected());
  });
});
