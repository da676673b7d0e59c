/**
 * `mxplan sandbox` end to end: the building example on loopback, mail sent with swaks (a real
 * SMTP client), Maildirs read with mailparser, hosts taken down and brought back from stdin, and
 * the whole process killed with SIGKILL between its 250 and the onward delivery.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mailboxMessages } from '../helpers/maildir.js';
import { eventually, startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const TOPOLOGY = 'examples/building/topology.yaml';
const hasSwaks = requireTool('swaks');

/** Sends one message with swaks; returns swaks' transcript (it exits non-zero on a refusal). */
async function swaks(port: number, from: string, to: string[], subject: string): Promise<string> {
  const args = [
    '--server',
    `127.0.0.1:${port}`,
    '--from',
    from,
    '--to',
    to.join(','),
    '--h-Subject',
    subject,
    '--body',
    `body of ${subject}`,
    '--timeout',
    '10',
  ];
  try {
    return (await run('swaks', args)).stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

afterAll(removeTempDirs);

const running: SandboxProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill9();
});

async function sandbox(stateDir: string): Promise<SandboxProcess> {
  const p = await startSandboxProcess(TOPOLOGY, stateDir);
  running.push(p);
  return p;
}

const subjects = (messages: { subject?: string }[]) => messages.map((m) => m.subject);

describe.runIf(hasSwaks)('mxplan sandbox', () => {
  it('publishes its endpoints, delivers, forwards and fans out, and refuses what it must', async () => {
    const state = await tempDir('sandbox');
    const sb = await sandbox(state);
    expect(Object.keys(sb.endpoints.hosts).sort()).toEqual(['backup', 'mail1', 'mail2']);
    expect(sb.endpoints.hosts.mail1).toMatchObject({
      fqdn: 'mail1.tower.example',
      planned: ['192.0.2.10', '2001:db8:10::10'],
      address: '127.0.0.1',
    });
    const mail1 = sb.endpoints.hosts.mail1!.port;

    expect(await swaks(mail1, 'ext@outside.example', ['sales@acme.example'], 'fan-out')).toMatch(/<-\s+250 /);
    const alice = await eventually(
      () => mailboxMessages(state, 'mail1', 'alice@acme.example'),
      (m) => m.length >= 1,
    );
    const bob = await eventually(
      () => mailboxMessages(state, 'mail2', 'bob@acme.example'),
      (m) => m.length >= 1,
    );
    const carol = await eventually(
      () => mailboxMessages(state, 'mail2', 'carol@globex.example'),
      (m) => m.length >= 1,
    );
    expect([subjects(alice), subjects(bob), subjects(carol)]).toEqual([['fan-out'], ['fan-out'], ['fan-out']]);
    // bob's copy went mail1 -> mail2: two Received headers, the newest by mail2.
    const received = bob[0]!.headers.get('received') as unknown as string[];
    expect(received).toHaveLength(2);
    expect(received[0]).toMatch(/by mail2\.tower\.example/);
    expect(received[1]).toMatch(/by mail1\.tower\.example/);

    expect(await swaks(mail1, 'ext@outside.example', ['nobody@acme.example'], 'x')).toMatch(/<\*\*\s+550 5\.1\.1/);
    expect(await swaks(mail1, 'ext@outside.example', ['someone@elsewhere.example'], 'x')).toMatch(
      /<\*\*\s+550 5\.7\.1/,
    );
    expect(await swaks(mail1, 'ext@outside.example', ['old@initech-old.example'], 'x')).toMatch(/<\*\*\s+556 5\.1\.10/);
    expect(await sb.stop()).toBe(0);
  });

  it('queues on the backup while the primary is down and delivers once when it returns', async () => {
    const state = await tempDir('sandbox');
    const sb = await sandbox(state);
    await sb.control('down mail1', /mail1 is down/);
    expect(
      await swaks(sb.endpoints.hosts.backup!.port, 'ext@outside.example', ['alice@acme.example'], 'while down'),
    ).toMatch(/<-\s+250 /);
    await sb.control('status', /backup\s+up, 1 queued/);
    expect(await mailboxMessages(state, 'mail1', 'alice@acme.example')).toEqual([]);

    await sb.control('up mail1', /mail1 is up/);
    await sb.control('retry', /retrying/);
    const inbox = await eventually(
      () => mailboxMessages(state, 'mail1', 'alice@acme.example'),
      (m) => m.length >= 1,
    );
    await sb.control('status', /backup\s+up, 0 queued, spool 1 segment\b/);
    expect(subjects(await mailboxMessages(state, 'mail1', 'alice@acme.example'))).toEqual(['while down']);
    expect(inbox[0]!.headers.get('received')).toHaveLength(2);
  });

  it('loses nothing and duplicates nothing when killed -9 after the 250, before onward delivery', async () => {
    const state = await tempDir('sandbox');
    const first = await sandbox(state);
    await first.control('down mail2', /mail2 is down/);
    // bob lives on mail2; mail1 takes the message, says 250, and cannot forward it yet.
    expect(
      await swaks(first.endpoints.hosts.mail1!.port, 'ext@outside.example', ['bob@acme.example'], 'survives kill -9'),
    ).toMatch(/<-\s+250 /);
    await first.control('status', /mail1\s+up, 1 queued/);
    await first.kill9();

    const second = await sandbox(state);
    await second.control('retry', /retrying/);
    await eventually(
      () => mailboxMessages(state, 'mail2', 'bob@acme.example'),
      (m) => m.length >= 1,
    );
    await second.control('status', /mail1\s+up, 0 queued/);
    expect(subjects(await mailboxMessages(state, 'mail2', 'bob@acme.example'))).toEqual(['survives kill -9']);
    expect(second.output() + first.output()).toMatch(/resumed 1 queued message/);
  });
});
