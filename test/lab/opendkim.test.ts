/**
 * OpenDKIM in the lab, beside each signing host's Postfix (src/lab/opendkim.ts), on the building
 * example with BIND: each host runs an instance per signature algorithm it signs with (RSA and
 * Ed25519 here), as the opendkim user in the host's namespace; opendkim-testkey, asking the lab's
 * name servers from a host's namespace, finds every published RSA key record matching its
 * private key, and for the Ed25519 ones, which it cannot test, dkimpy verifies a signature the
 * signer's OpenDKIM made with each; mail a user submits on mail1 for a user on mail2 arrives in
 * her Maildir signed by both instances, both signatures verified by dkimpy (python3-dkim)
 * against the lab's DNS, also after the host went down and came back up. The expectations come
 * from the plan's selectors.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Lab } from '../../src/lab/lab.js';
import { OPENDKIM_INSTANCES, type OpendkimInstance } from '../../src/mta/opendkim.js';
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

/** The pid of a host's OpenDKIM instance, from its PidFile, when it runs. */
async function opendkimPid(hostId: string, instance: OpendkimInstance): Promise<number | undefined> {
  const file = join(lab.stateDir, hostId, 'opendkim-run', instance.pidFile);
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!(pid > 1)) return undefined;
  const state = /^State:\s+(\S)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1];
  return state && state !== 'Z' ? pid : undefined;
}

/** The plan's selectors that `hostId` signs `domain` with. */
function selectorsOf(domain: string, hostId: string) {
  return plan.domains.get(domain)!.dkim.filter((s) => s.active && s.signers.some((h) => h.id === hostId));
}

/** The OpenDKIM instances a host runs: one per key type it signs some domain with. */
function instancesOf(hostId: string) {
  const types = new Set([...plan.domains.keys()].flatMap((d) => selectorsOf(d, hostId).map((s) => s.type)));
  return OPENDKIM_INSTANCES.filter((i) => types.has(i.type));
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
  it('runs an instance per algorithm on every signing host, as the opendkim user, in the host’s namespace', async () => {
    const opendkimUid = (await readFile('/etc/passwd', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('opendkim:'))!
      .split(':')[2];
    for (const host of plan.hosts.values()) {
      // Every host of the building signs (its bounces for tower.example), with RSA and Ed25519.
      expect(
        instancesOf(host.id).map((i) => i.algorithm),
        host.id,
      ).toEqual(['rsa-sha256', 'ed25519-sha256']);
      const pids = new Set<number>();
      for (const instance of instancesOf(host.id)) {
        const pid = await opendkimPid(host.id, instance);
        expect(pid, `${host.id} ${instance.algorithm}`).toBeDefined();
        pids.add(pid!);
        const uid = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
        expect(uid, host.id).toBe(opendkimUid);
        const [own, ns] = await Promise.all([
          stat(`/proc/${pid}/ns/net`),
          stat(join('/run/netns', lab.layout.host(host.id).namespace)),
        ]);
        expect(own.ino, host.id).toBe(ns.ino);
        // Its own configuration, the generated one for its algorithm.
        const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
        expect(argv.at(-2) === '-x' && argv.at(-1), host.id).toBe(
          join(lab.stateDir, host.id, 'opendkim', instance.config),
        );
      }
      expect(pids.size, host.id).toBe(2);
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
        // The key as the signer's OpenDKIM has it (its /etc/dkimkeys).
        const key = `/etc/dkimkeys/${s.domain}.${s.selector.toLowerCase()}.pem`;
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
        // to load as RSA. dkimpy checks those records below, on the signer's own signatures.
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

  const send = async (hostId: string, from: string, to: string, mailbox: string) => {
    const token = `odk${++counter}x${Date.now().toString(36)}`;
    await lab.submit(hostId, { from, to: [to] }, message(token, from, to));
    return verified(await delivered(mailbox, to, token));
  };
  /** What dkimpy must find on mail `hostId` signs for `domain`: a verified signature per selector, by algorithm. */
  const expected = (domain: string, hostId: string) =>
    selectorsOf(domain, hostId)
      .map((s) => ({ d: domain, s: s.selector, a: `${s.type}-sha256`, ok: true }))
      .sort((a, b) => (`${a.a} ${a.s}` < `${b.a} ${b.s}` ? -1 : 1));
  const found = (signatures: readonly { d: string; s: string; a: string; ok: boolean }[]) =>
    signatures.map(({ d, s, a, ok }) => ({ d, s, a, ok })).sort((a, b) => (`${a.a} ${a.s}` < `${b.a} ${b.s}` ? -1 : 1));

  it('every published Ed25519 key is the one its signer’s OpenDKIM signs with: dkimpy verifies it at the lab’s DNS', async () => {
    const checked: string[] = [];
    for (const domain of plan.domains.values()) {
      const ed25519 = domain.dkim.filter((s) => s.published && s.active && s.type === 'ed25519');
      for (const s of ed25519) {
        const signer = s.signers[0]!.id;
        const signatures = await send(signer, `someone@${domain.name}`, 'carol@globex.example', 'mail2');
        expect(found(signatures), `${domain.name} from ${signer}`).toEqual(expected(domain.name, signer));
        checked.push(`${s.selector}._domainkey.${s.domain}`);
      }
    }
    expect(checked.length).toBe(4);
  });

  // alice (acme.example, on mail1) writes to carol (globex.example, on mail2): the mail
  // originates on mail1, whose two OpenDKIM instances sign it with acme.example's RSA and
  // Ed25519 selectors, one after the other (RFC 8463 §6).
  const alice = () => send('mail1', 'alice@acme.example', 'carol@globex.example', 'mail2');

  it('signs mail that originates on a host with both algorithms; dkimpy verifies both signatures at the lab’s DNS', async () => {
    const want = expected('acme.example', 'mail1');
    expect(want.map((w) => w.a)).toEqual(['ed25519-sha256', 'rsa-sha256']);
    const signatures = await alice();
    expect(found(signatures)).toEqual(want);
    // The second milter's field lands above the first's, as the relays put Ed25519's above RSA's.
    expect(signatures.map((s) => s.a)).toEqual(['ed25519-sha256', 'rsa-sha256']);
    // Postfix reached both milters every time (no "connect to Milter service ...: Permission denied").
    for (const host of plan.hosts.keys()) {
      const log = await readFile(join(lab.stateDir, host, 'log', 'postfix.log'), 'utf8');
      expect(
        log.split('\n').filter((l) => /milter/i.test(l)),
        host,
      ).toEqual([]);
    }
  });

  it('down stops both OpenDKIM instances with Postfix, up starts them, and the host signs again', async () => {
    const instances = instancesOf('mail1');
    const before = await Promise.all(instances.map((i) => opendkimPid('mail1', i)));
    expect(before.every((p) => p !== undefined)).toBe(true);
    await lab.down('mail1');
    expect(await Promise.all(instances.map((i) => opendkimPid('mail1', i)))).toEqual(instances.map(() => undefined));
    await lab.up('mail1');
    const after = await Promise.all(instances.map((i) => opendkimPid('mail1', i)));
    for (const [n, pid] of after.entries()) {
      expect(pid, instances[n]!.algorithm).toBeDefined();
      expect(pid, instances[n]!.algorithm).not.toBe(before[n]);
    }
    expect(found(await alice())).toEqual(expected('acme.example', 'mail1'));
  });
});
