/**
 * Mail clients against `mxplan sandbox` on the building example, end to end: swaks submits as
 * alice through mail1's submission port (AUTH PLAIN over STARTTLS), and bob reads it on mail2,
 * his home, with Python's imaplib and poplib logging in to the Dovecot the sandbox runs there,
 * all with the passwords of <state>/passwords.json and the ports of endpoints.json.
 *
 * Dovecot gives no mail access to root, so a test running as root starts the sandbox as
 * `nobody` (a sandbox started as root says so and runs without IMAP and POP3).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.js';
import { requirePythonModule, requireTool } from '../helpers/tools.js';

const ready = requireTool('swaks') && requireTool('dovecot') && requirePythonModule('imaplib') !== undefined;
const python = requirePythonModule('poplib') ?? 'python3';
/** uid and gid of nobody (65534 on Debian), when the test runs as root. */
const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
const TOPOLOGY = join(ROOT, 'examples', 'building', 'topology.yaml');
/** Stable ports from a base (a block of a hundred below the ephemeral range, that nothing else here uses). */
const BASE = 20_000 + 100 * Math.floor(Math.random() * 90);

interface Ports {
  smtp: number;
  submission?: number;
  imap?: number;
  pop3?: number;
}

let dir: string;
let sandbox: SandboxProcess;
let ports: Record<string, Ports>;
let passwords: Record<string, string>;
const subject = `from alice ${Date.now()}`;

/**
 * nobody must reach the checkout (a CI checkout may lie under root's 0700 home): the directories
 * above it that others cannot pass through get the search bit (o+x, not the right to list them)
 * while the test runs, and their modes back afterwards.
 */
const restored: [string, number][] = [];
async function letNobodyThrough(path: string): Promise<void> {
  for (let d = path; d !== dirname(d); d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      restored.push([d, mode & 0o7777]);
      await chmod(d, (mode & 0o7777) | 0o001);
    }
  }
}

beforeAll(async () => {
  if (!ready) return;
  if (as) await letNobodyThrough(ROOT);
  dir = await mkdtemp(join(tmpdir(), 'mxplan-clients-'));
  if (as) await chown(dir, as.uid, as.gid);
  const stateDir = join(dir, 'state');
  sandbox = await startSandboxProcess(TOPOLOGY, stateDir, ['--ports', String(BASE)], as);
  const endpoints = JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as {
    hosts: Record<string, { ports: Ports }>;
  };
  ports = Object.fromEntries(Object.entries(endpoints.hosts).map(([id, h]) => [id, h.ports]));
  passwords = JSON.parse(await readFile(join(stateDir, 'passwords.json'), 'utf8')) as Record<string, string>;
  await promisify(execFile)(
    'swaks',
    [
      ...['--server', '127.0.0.1', '--port', String(ports['mail1']!.submission)],
      ...['--tls', '--tls-verify', '--tls-ca-path', join(stateDir, 'tls', 'ca.crt')],
      ...['--auth', 'PLAIN', '--auth-user', 'alice@acme.example', '--auth-password', passwords['alice@acme.example']!],
      ...['--from', 'alice@acme.example', '--to', 'bob@acme.example', '--header', `Subject: ${subject}`],
      ...['--body', 'read me with a real client', '--timeout', '10'],
    ],
    { encoding: 'utf8' },
  );
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const [d, mode] of restored.reverse()) await chmod(d, mode);
});

/** Runs a Python client (asynchronously: nothing here answers it, but the sandbox's output keeps flowing). */
async function client(script: string, ...args: string[]): Promise<string> {
  const run = await promisify(execFile)(python, ['-c', script, ...args], { encoding: 'utf8', timeout: 30_000 });
  return run.stdout;
}

/** imaplib: logs in, waits up to ten seconds for a message with the subject, prints its Subject and From. */
const IMAP = `
import imaplib, sys, time
host, port, user, password, subject = sys.argv[1:]
m = imaplib.IMAP4(host, int(port))
m.login(user, password)
for _ in range(100):
    m.select('INBOX')
    typ, found = m.search(None, 'SUBJECT', '"%s"' % subject)
    if found[0]:
        break
    time.sleep(0.1)
num = found[0].split()[0]
typ, data = m.fetch(num, '(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])')
print(data[0][1].decode())
m.logout()
`;

/** poplib: logs in and prints the Subject of every message. */
const POP3 = `
import poplib, sys
host, port, user, password = sys.argv[1:]
p = poplib.POP3(host, int(port))
p.user(user)
p.pass_(password)
for i in range(1, p.stat()[0] + 1):
    for line in p.retr(i)[1]:
        if line.lower().startswith(b'subject:'):
            print(line.decode())
p.quit()
`;

describe.runIf(ready)('mail clients against the sandbox (building example)', () => {
  it('lists submission, IMAP and POP3 for each store in endpoints.json, at the --ports layout; SMTP alone for the backup', () => {
    // Host n's block is base+10n..base+10n+9, each service on the digit of its port (25, 587, 143, 110).
    expect(ports).toEqual({
      mail1: { smtp: BASE + 15, submission: BASE + 17, imap: BASE + 13, pop3: BASE + 10 },
      mail2: { smtp: BASE + 25, submission: BASE + 27, imap: BASE + 23, pop3: BASE + 20 },
      backup: { smtp: BASE + 35 },
    });
  });

  it("bob reads alice's mail on mail2, his home, over IMAP (imaplib)", async () => {
    const headers = await client(
      IMAP,
      '127.0.0.1',
      String(ports['mail2']!.imap),
      'bob@acme.example',
      passwords['bob@acme.example']!,
      subject,
    );
    expect(headers).toContain(`Subject: ${subject}`);
    expect(headers).toMatch(/^From: alice@acme\.example/im);
  });

  it('and over POP3 (poplib)', async () => {
    const subjects = await client(
      POP3,
      '127.0.0.1',
      String(ports['mail2']!.pop3),
      'bob@acme.example',
      passwords['bob@acme.example']!,
    );
    expect(subjects).toContain(`Subject: ${subject}`);
  });

  it("refuses bob's login with alice's password, and bob's login at mail1, which is not his home", async () => {
    for (const [host, password] of [
      ['mail2', passwords['alice@acme.example']!],
      ['mail1', passwords['bob@acme.example']!],
    ] as const)
      await expect(
        client(IMAP, '127.0.0.1', String(ports[host]!.imap), 'bob@acme.example', password, subject),
      ).rejects.toThrow(/AUTHENTICATIONFAILED|Authentication failed/);
  });
});

describe.runIf(ready)("verify's read scenario on the sandbox's Dovecot (the contract's mailAccess)", () => {
  it('logs every user of the building example in over IMAP (imapflow) and POP3 at home, and not elsewhere', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'mxplan.js'), 'verify', TOPOLOGY, '--scenario', 'read', '--format', 'json'],
      { encoding: 'utf8', cwd: dir, env: { ...process.env, TMPDIR: dir }, ...as },
    );
    const report = JSON.parse(stdout) as {
      scenarios: { name: string; passed: number; failed: number; skipped: number }[];
    };
    const read = report.scenarios.find((s) => s.name === 'read')!;
    // one login per user and protocol at home, and the refusals elsewhere: all judged, none skipped
    expect(read).toMatchObject({ failed: 0, skipped: 0 });
    expect(read.passed).toBeGreaterThan(20);
  }, 120_000);
});
