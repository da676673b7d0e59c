/**
 * The control lines of a running sandbox (help, queue, route, retry of one host, completion) and
 * its stable ports (--ports, kept in <state>/ports.json), in process and through the CLI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { completeControl, COMMANDS, runControl } from '../../src/sandbox/control.js';
import { portsFromBase, portsToUse } from '../../src/sandbox/ports.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { loadPlan } from '../../src/topology/load.js';
import { mxplan, ROOT } from '../helpers/cli.js';
import { eventually, startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const BUILDING = 'examples/building/topology.yaml';
const { plan } = await loadPlan(join(ROOT, BUILDING));
afterAll(removeTempDirs);

const message = (subject: string) =>
  Buffer.from(`From: <alice@acme.example>\r\nTo: <bob@acme.example>\r\nSubject: ${subject}\r\n\r\nbody\r\n`);

describe('control lines', () => {
  it('lists every command with help, and completes verbs and host names', async () => {
    await using sandbox = await startSandbox({ plan: plan!, stateDir: await tempDir('control') });
    const help = await runControl(sandbox, 'help');
    for (const [verb] of COMMANDS) expect(help).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    expect(await runControl(sandbox, 'sideways')).toBe('unknown command "sideways"; type help for the list');
    expect(completeControl(sandbox, 'qu')).toEqual([['queue'], 'qu']);
    expect(completeControl(sandbox, 'down ma')).toEqual([['mail1', 'mail2'], 'ma']);
    expect(completeControl(sandbox, 'route ma')).toEqual([[], 'ma']);
  });

  it('queue <host> lists it as mailq does, attempts and next retry included; retry <host> retries that host only', async () => {
    // The default profile: minutes of backoff, so only a retry moves the message.
    await using sandbox = await startSandbox({ plan: plan!, stateDir: await tempDir('control'), profile: 'default' });
    expect(await runControl(sandbox, 'queue mail1')).toBe('Mail queue is empty');
    await sandbox.down('mail2');
    const queueId = await sandbox.submit(
      'mail1',
      { from: 'alice@acme.example', to: ['bob@acme.example'] },
      message('held'),
    );
    const listing = await eventually(
      () => runControl(sandbox, 'queue mail1'),
      (text) => /connection refused|ECONNREFUSED/i.test(text),
    );
    const lines = listing.split('\n');
    expect(lines[0]).toBe('-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------');
    expect(lines[1]).toMatch(
      new RegExp(`^${queueId}\\s+\\d+ \\w{3}, \\d\\d \\w{3} \\d{4} [\\d:]{8}  alice@acme\\.example$`),
    );
    expect(lines[2]).toMatch(/^\s+\(1 attempt, next attempt \d\d:\d\d:\d\d\)$/);
    expect(lines[3]).toMatch(/^\(4\d\d .*mail2\.tower\.example/);
    expect(lines[4]).toMatch(/^\s+bob@acme\.example$/);
    // mailq's total: the sizes in the listing, rounded up to Kbytes (the message is DKIM-signed, so
    // larger than what was submitted)
    const size = Number(/^\S+\s+(\d+) /.exec(lines[1]!)![1]);
    expect(lines.at(-1)).toBe(`-- ${Math.ceil(size / 1024)} Kbytes in 1 Request.`);
    expect(await runControl(sandbox, 'queue mail2')).toBe('mail2 is down: its queue cannot be asked');
    expect(await runControl(sandbox, 'queue nowhere')).toMatch(
      /^no planned host "nowhere"; hosts: mail1, mail2, backup$/,
    );

    await sandbox.up('mail2');
    expect(await runControl(sandbox, 'retry backup')).toBe('backup is retrying its queue now');
    await new Promise((r) => setTimeout(r, 300));
    expect((await sandbox.queued('mail1'))!.map((m) => m.queueId)).toEqual([queueId]);
    expect(await runControl(sandbox, 'retry mail1')).toBe('mail1 is retrying its queue now');
    await eventually(
      async () => (await sandbox.queued('mail1'))!.length,
      (n) => n === 0,
    );
  });

  it('route <address> says where each host would send it next, and why', async () => {
    await using sandbox = await startSandbox({ plan: plan!, stateDir: await tempDir('control') });
    await sandbox.down('mail2');
    const samir = (await runControl(sandbox, 'route samir@initech.example')).split('\n');
    expect(samir[0]).toBe('mail1      delivers it into its Maildir here');
    expect(samir[1]).toMatch(
      /^mail2 {6}forwards it to mail1, where samir@initech\.example lives: mail1\.tower\.example \[192\.0\.2\.10, 2001:db8:10::10\], no MX lookup; mail1 is up$/,
    );
    // The backup is MX 50: it leaves itself out and hands on to the better MX, mail2 (down now) first.
    expect(samir[2]).toBe(
      'backup     relays it through the MX of initech.example: MX 10 mail2.tower.example (mail2, down), then MX 20 mail1.tower.example (mail1, up); it is MX 50 itself, so MX 50 and above are left out',
    );
    const sales = await runControl(sandbox, 'route sales@acme.example');
    expect(sales).toMatch(/^mail1 {6}takes it: sales@acme\.example is an alias of 3 address\(es\)$/m);
    expect(sales).toMatch(/^ {13}carol@globex\.example: forwards it to mail2, where carol@globex\.example lives/m);
    // mail2 stores bob, so it is final for acme.example too: it keeps bob and carol, forwards alice.
    expect(sales).toMatch(/^ {13}alice@acme\.example: forwards it to mail1, where alice@acme\.example lives/m);
    expect(await runControl(sandbox, 'route someone@elsewhere.example')).toMatch(
      /^mail1 {6}refuses it at RCPT: 550 5\.7\.1 /,
    );
    expect(await runControl(sandbox, 'route')).toBe('route takes an address: route bob@acme.example');
  });
});

describe('stable ports', () => {
  it('lays out --ports <base>: DNS on 3, the dashboard on 8, a block of ten per host, each service on its digit', () => {
    expect(portsFromBase(plan!, 2500)).toEqual({
      dns: 2503,
      ui: 2508,
      hosts: {
        mail1: { smtp: 2515, submission: 2517, imap: 2513, pop3: 2510 },
        mail2: { smtp: 2525, submission: 2527, imap: 2523, pop3: 2520 },
        // relay-only: SMTP alone, in a block of ten all the same
        backup: { smtp: 2535 },
      },
      // the web host (MTA-STS) in the block after the mail hosts, HTTPS on 3 (443)
      web: { www: 2543 },
    });
    expect(() => portsFromBase(plan!, 65500)).toThrow(/no room for 4 hosts/);
  });

  it('reads a ports file, naming the field that is wrong, and forgets hosts the plan lost', async () => {
    const dir = await tempDir('ports');
    const file = join(dir, 'mine.json');
    await writeFile(
      file,
      JSON.stringify({ dns: 5353, hosts: { mail1: { smtp: 2525 }, gone: { smtp: 1 } }, web: { www: 8443, old: 2 } }),
    );
    expect(await portsToUse(plan!, dir, { file })).toEqual({
      dns: 5353,
      hosts: { mail1: { smtp: 2525 } },
      web: { www: 8443 },
    });
    await writeFile(file, JSON.stringify({ hosts: {}, web: { www: 'https' } }));
    await expect(portsToUse(plan!, dir, { file })).rejects.toThrow(
      `${file}: web.www: "https" is not a port (0 to 65535)`,
    );
    await writeFile(file, JSON.stringify({ hosts: { mail1: { smtp: 70000 } } }));
    await expect(portsToUse(plan!, dir, { file })).rejects.toThrow(
      `${file}: hosts.mail1.smtp: 70000 is not a port (0 to 65535)`,
    );
    await writeFile(file, JSON.stringify({ hosts: { mail1: { smpt: 25 } } }));
    await expect(portsToUse(plan!, dir, { file })).rejects.toThrow(
      /hosts\.mail1\.smpt: not a service \(smtp, submission, imap, pop3\)/,
    );
    await expect(portsToUse(plan!, dir, { file: join(dir, 'missing.json') })).rejects.toThrow(
      /missing\.json: no such ports file/,
    );
    expect(await portsToUse(plan!, dir)).toBeUndefined();
  });

  describe('through the CLI', () => {
    const running: SandboxProcess[] = [];
    afterEach(async () => {
      for (const p of running.splice(0)) await p.kill9();
    });

    it('keeps the ports the first start picked in ports.json, and a restart listens on the same ones', async () => {
      const state = await tempDir('ports-cli');
      const first = await startSandboxProcess(BUILDING, state, ['--ui']);
      running.push(first);
      const kept = JSON.parse(await readFile(join(state, 'ports.json'), 'utf8'));
      expect(kept.hosts.mail1.smtp).toBe(first.endpoints.hosts.mail1!.port);
      expect(kept.dns).toBe(first.endpoints.dns.port);
      expect(first.dashboard).toContain(`:${kept.ui}/`);
      expect(await first.stop()).toBe(0);
      running.pop();

      const second = await startSandboxProcess(BUILDING, state, ['--ui']);
      running.push(second);
      expect(second.endpoints).toEqual(first.endpoints);
      expect(second.dashboard).toContain(`:${kept.ui}/`);
      expect(second.dashboard).not.toBe(first.dashboard); // a new token each start
      // endpoints.json names each service's port; `port` is `ports.smtp`.
      expect(second.endpoints.hosts.mail2).toMatchObject({ ports: { smtp: kept.hosts.mail2.smtp } });
    });

    it('refuses --ui on an address that is not loopback, and a --ports that is neither a port nor a file', async () => {
      const state = await tempDir('ports-cli');
      const wide = await mxplan(['sandbox', BUILDING, '--state', state, '--ui', '0.0.0.0:8080']);
      expect(wide.code).toBe(2);
      expect(wide.stderr).toMatch(/--ui takes a loopback \[address\]\[:port\]/);
      const misplaced = await mxplan(['sandbox', '--ui', BUILDING, '--state', state]);
      expect(misplaced.code).toBe(2);
      expect(misplaced.stderr).toMatch(/put the option after the topology/);
      const bad = await mxplan(['sandbox', BUILDING, '--state', state, '--ports', 'nowhere.json']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/nowhere\.json: no such ports file/);
    });
  });
});
