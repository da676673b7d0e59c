/**
 * The submission port of the built-in sandbox's stores (RFC 6409), driven by swaks, a real
 * client: AUTH PLAIN (RFC 4954) over STARTTLS with the throwaway passwords of passwords.json,
 * relaying to another domain, and each refusal a client meets.
 *
 *   acme.example    alice@store1 (mail1), bob@store2; sales: alice, bob, carol@globex.example
 *   globex.example  carol@store2 (mail2)
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { tlsLayout } from '../../src/state-layout.js';
import { mailboxMessages } from '../helpers/maildir.js';
import { RawSmtp } from '../mail/support/raw-smtp.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';
import { requireTool } from '../helpers/tools.js';

const hasSwaks = requireTool('swaks');
const plan = await planOf(topology());

let stateDir: string;
let sandbox: Sandbox;
beforeAll(async () => {
  stateDir = await tempDir('submission');
  sandbox = await startSandbox({ plan, stateDir });
});
afterAll(async () => {
  await sandbox?.close();
  await removeTempDirs();
});

const passwords = async () =>
  JSON.parse(await readFile(join(stateDir, 'passwords.json'), 'utf8')) as Record<string, string>;

/** swaks through a host's submission port; its transcript, whether it succeeded or not (asynchronously: the relays run in this process). */
async function swaks(hostId: string, args: readonly string[]): Promise<string> {
  const port = sandbox.hosts.get(hostId)!.services.submission!.port;
  try {
    const run = await promisify(execFile)(
      'swaks',
      ['--server', '127.0.0.1', '--port', String(port), '--ehlo', 'laptop.example', '--timeout', '10', ...args],
      { encoding: 'utf8' },
    );
    return run.stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

const tls = () => ['--tls', '--tls-verify', '--tls-ca-path', tlsLayout(stateDir).caCert];
const login = (user: string, password: string) => ['--auth', 'PLAIN', '--auth-user', user, '--auth-password', password];

describe('the submission port', () => {
  it('keeps a password per store user in passwords.json, mode 0600, the same after a restart', async () => {
    const kept = await passwords();
    expect(Object.keys(kept).sort()).toEqual(['alice@acme.example', 'bob@acme.example', 'carol@globex.example']);
    expect((await stat(join(stateDir, 'passwords.json'))).mode & 0o777).toBe(0o600);
    const port = sandbox.hosts.get('store1')!.services.submission!.port;
    expect(port).toBeGreaterThan(0);
    expect(sandbox.hosts.get('backup')!.services.submission).toBeUndefined();

    const again = await tempDir('submission-restart');
    const first = await startSandbox({ plan, stateDir: again });
    const before = await readFile(join(again, 'passwords.json'), 'utf8');
    const ports = Object.fromEntries(
      [...first.hosts].map(([id, h]) => [id, { smtp: h.port, submission: h.services.submission?.port }]),
    );
    await first.close();
    await using second = await startSandbox({ plan, stateDir: again, ports: ports });
    expect(await readFile(join(again, 'passwords.json'), 'utf8')).toBe(before);
    expect(second.hosts.get('store1')!.services.submission!.port).toBe(ports['store1']!.submission);
    const endpoints = JSON.parse(await readFile(join(again, 'endpoints.json'), 'utf8'));
    expect(endpoints.hosts.store1.ports.submission).toBe(ports['store1']!.submission);
    expect(endpoints.hosts.backup.ports.submission).toBeUndefined();
  });

  it.runIf(hasSwaks)("takes alice's mail for carol through mail1 and carol's home stores it", async () => {
    const alice = (await passwords())['alice@acme.example']!;
    const transcript = await swaks('store1', [
      ...tls(),
      ...login('alice@acme.example', alice),
      '--from',
      'alice@acme.example',
      '--to',
      'carol@globex.example',
      '--header',
      'Subject: submitted by alice',
    ]);
    expect(transcript).toMatch(/<~\s+235 /);
    expect(transcript).toMatch(/<~\s+250 2\.0\.0 Ok: queued as \w+/);
    let mail: ParsedMail | undefined;
    for (let i = 0; i < 100 && !mail; i++) {
      mail = (await mailboxMessages(stateDir, 'store2', 'carol@globex.example')).find(
        (m) => m.subject === 'submitted by alice',
      );
      if (!mail) await new Promise((r) => setTimeout(r, 100));
    }
    if (!mail) throw new Error("the message never reached carol's mailbox on mail2");
    // RFC 3848: mail1 stamped it as taken with STARTTLS and AUTH, from the client.
    const received = [mail.headers.get('received')].flat().map(String);
    expect(
      received.some((r) =>
        /from laptop\.example \(\[127\.0\.0\.1\]\).*by mail1\.infra\.example \(mxplan\) with ESMTPSA/s.test(r),
      ),
    ).toBe(true);
  });

  it.runIf(hasSwaks)('lets alice send as an alias she belongs to, and not as bob (553 5.7.1)', async () => {
    const alice = (await passwords())['alice@acme.example']!;
    const as = (from: string) =>
      swaks('store1', [
        ...tls(),
        ...login('alice@acme.example', alice),
        '--from',
        from,
        '--to',
        'carol@globex.example',
      ]);
    expect(await as('sales@acme.example')).toMatch(/<~\s+250 2\.0\.0 Ok: queued as/);
    expect(await as('bob@acme.example')).toMatch(
      /<~\*\s+553 5\.7\.1 <bob@acme\.example>: Sender address rejected: not owned by user alice@acme\.example/,
    );
  });

  it.runIf(hasSwaks)('refuses mail without AUTH (530 5.7.0)', async () => {
    const transcript = await swaks('store1', [
      ...tls(),
      '--from',
      'alice@acme.example',
      '--to',
      'carol@globex.example',
    ]);
    expect(transcript).toMatch(/<~\*\s+530 5\.7\.0 Authentication required/);
  });

  it.runIf(hasSwaks)('refuses a wrong password, and a user of another store (535 5.7.8)', async () => {
    const carol = (await passwords())['carol@globex.example']!;
    for (const [user, password] of [
      ['alice@acme.example', 'not-her-password'],
      ['carol@globex.example', carol],
    ] as const) {
      const transcript = await swaks('store1', [
        ...tls(),
        ...login(user, password),
        '--from',
        user,
        '--to',
        'bob@acme.example',
      ]);
      expect(transcript).toMatch(/<~\*\s+535 5\.7\.8 /);
    }
  });

  it.runIf(hasSwaks)('offers AUTH only after STARTTLS, and refuses it before (RFC 4954 §4 and §6)', async () => {
    const alice = (await passwords())['alice@acme.example']!;
    const envelope = ['--from', 'alice@acme.example', '--to', 'carol@globex.example', '--quit-after', 'AUTH'];
    // In clear, EHLO lists no AUTH, and swaks quits rather than send its password.
    const clear = await swaks('store1', [...login('alice@acme.example', alice), ...envelope]);
    expect(clear).toMatch(/<-\s+250-STARTTLS|<-\s+250 STARTTLS/);
    expect(clear).not.toMatch(/AUTH PLAIN/);
    expect(clear).not.toMatch(/^ ?-> AUTH/m);
    // After STARTTLS it is listed, and taken.
    const encrypted = await swaks('store1', [...tls(), ...login('alice@acme.example', alice), ...envelope]);
    expect(encrypted).toMatch(/<~\s+250[- ]AUTH PLAIN/);
    expect(encrypted).toMatch(/<~\s+235 /);
    // A client that sends AUTH in clear all the same gets 538 5.7.11.
    const { smtp } = await RawSmtp.connect(sandbox.hosts.get('store1')!.services.submission!.port);
    try {
      expect(await smtp.command('EHLO laptop.example')).not.toMatch(/AUTH/);
      const plain = Buffer.from(`\0alice@acme.example\0${alice}`).toString('base64');
      expect(await smtp.command(`AUTH PLAIN ${plain}`)).toBe(
        '538 5.7.11 Encryption required for requested authentication mechanism',
      );
    } finally {
      smtp.close();
    }
  });

  it.runIf(hasSwaks)('leaves port 25 as it was: no AUTH, no relaying', async () => {
    const port = sandbox.hosts.get('store1')!.port;
    let out: string;
    try {
      out = (
        await promisify(execFile)(
          'swaks',
          [
            '--server',
            '127.0.0.1',
            '--port',
            String(port),
            '--from',
            'alice@acme.example',
            '--to',
            'carol@globex.example',
            '--timeout',
            '10',
          ],
          { encoding: 'utf8' },
        )
      ).stdout;
    } catch (error) {
      out = (error as { stdout: string }).stdout;
    }
    expect(out).not.toMatch(/250-AUTH/);
    expect(out).toMatch(/<\*\*\s+550 5\.7\.1 <carol@globex\.example>: Relay access denied/);
  });
});
