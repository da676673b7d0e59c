/**
 * End to end: three relays (store1, store2, backup of the base topology) on 127.0.0.1:0, the
 * real DNS responder serving the plan's zones, c-ares as the relays' resolver, real clients
 * (swaks, nodemailer) sending, mailparser reading the Maildirs.
 *
 *   acme.example    MX 10 store1 (mail1), MX 50 backup     alice@store1, bob@store2
 *   globex.example  MX 10 store2 (mail2), MX 20 backup     carol@store2
 *   parked.example  null MX
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxDir } from '../../src/mail/maildir.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { transmit } from '../../src/mail/transmit.js';
import type { MailEvent } from '../../src/mail/events.js';
import { planOf, topology } from '../helpers/topology.js';
import { requireTool } from '../helpers/tools.js';
import { message, receivedBy, startMailNet, type MailNet } from './support/mail-net.js';
import { RawSmtp } from './support/raw-smtp.js';

const hasSwaks = requireTool('swaks');

const plan = await planOf(
  topology((t) => {
    // enough mailboxes on store1 for a transaction of 100 recipients
    for (let i = 0; i < 101; i++) t.domains['acme.example'].users[`u${i}`] = 'store1';
  }),
);

/** nodemailer's rejection, as "code enhanced" ("550 5.1.1"). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; rejectedErrors?: { response?: string }[] };
    const response = e.rejectedErrors?.[0]?.response ?? e.response ?? String(error);
    return /^(\d{3})[ -]([245]\.\d+\.\d+)/.exec(response)?.slice(1).join(' ') ?? response;
  }
}

const delivered = (host: string, recipient: string) => (e: MailEvent) =>
  e.type === 'delivered' && e.host === host && e.recipient === recipient;

describe('relays on loopback, all hosts up', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1', 'store2', 'backup'], {
      store1: { maxMessageSize: 64 * 1024 },
    });
  });
  afterAll(async () => {
    await net?.close();
  });

  it.runIf(hasSwaks)('delivers to a mailbox homed on the MX (client: swaks)', async () => {
    // asynchronously: the relays answer from this very process
    const run = await promisify(execFile)(
      'swaks',
      [
        '--server',
        '127.0.0.1',
        '--port',
        String(net.port('store1')),
        '--ehlo',
        'client.example.com',
        '--from',
        'carol@globex.example',
        '--to',
        'alice@acme.example',
        '--header',
        'Subject: direct via swaks',
        '--body',
        'hello alice',
        '--timeout',
        '10',
      ],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toMatch(/<-\s+250 2\.0\.0 Ok: delivered as \w+/);
    const [mail, ...more] = (await net.mailbox('store1', 'alice@acme.example')).filter(
      (m) => m.subject === 'direct via swaks',
    );
    expect(more).toEqual([]);
    expect(mail!.text).toContain('hello alice');
    expect(receivedBy(mail!)).toEqual(['mail1.infra.example']);
    expect(mail!.headers.get('return-path')).toMatchObject({ value: [{ address: 'carol@globex.example' }] });
  });

  it('forwards to the home store (store and forward: mail1 -> mail2)', async () => {
    const since = net.events.length;
    const { response } = await net.send(
      'store1',
      { from: 'carol@globex.example', to: ['bob@acme.example'] },
      message('carol@globex.example', 'bob@acme.example', 'forwarded'),
    );
    expect(response).toMatch(/^250 2\.0\.0 Ok: queued as \w+/);
    await net.waitFor(delivered('store2', 'bob@acme.example'), since);
    await net.waitFor(delivered('store1', 'bob@acme.example'), since);
    const copies = (await net.mailbox('store2', 'bob@acme.example')).filter((m) => m.subject === 'forwarded');
    expect(copies).toHaveLength(1);
    expect(receivedBy(copies[0]!)).toEqual(['mail2.infra.example', 'mail1.infra.example']);
  });

  it('fans an alias out across hosts, one copy per mailbox', async () => {
    const since = net.events.length;
    await net.send(
      'store1',
      { from: 'carol@globex.example', to: ['sales@acme.example'] },
      message('carol@globex.example', 'sales@acme.example', 'fan-out'),
    );
    await Promise.all([
      net.waitFor(delivered('store1', 'alice@acme.example'), since),
      net.waitFor(delivered('store2', 'bob@acme.example'), since),
      net.waitFor(delivered('store2', 'carol@globex.example'), since),
    ]);
    for (const [host, address] of [
      ['store1', 'alice@acme.example'],
      ['store2', 'bob@acme.example'],
      ['store2', 'carol@globex.example'],
    ] as const) {
      const copies = (await net.mailbox(host, address)).filter((m) => m.subject === 'fan-out');
      expect(copies, `${address} on ${host}`).toHaveLength(1);
      expect(copies[0]!.headers.get('delivered-to')).toMatchObject({ text: address });
    }
  });

  it('takes a local submission as mail of the host itself: routed anywhere, line ends normalised', async () => {
    const since = net.events.length;
    // store1 is not an MX of globex: an SMTP client would be refused (5.7.1), its own user is not
    const id = await net
      .relay('store1')
      .submit(
        { from: 'alice@acme.example', to: ['carol@globex.example'] },
        Buffer.from('Subject: submitted\nX-Bare-CR: yes\r\rbody\n'),
      );
    expect(net.events.slice(since).find((e) => e.type === 'accepted')).toMatchObject({
      queueId: id,
      stored: 'queue',
      bareLineEndings: 4,
    });
    await net.waitFor(delivered('store2', 'carol@globex.example'), since);
    const [mail] = (await net.mailbox('store2', 'carol@globex.example')).filter((m) => m.subject === 'submitted');
    expect(receivedBy(mail!)).toEqual(['mail2.infra.example', 'mail1.infra.example']);
    expect(mail!.text).toContain('body');
  });

  it('queues what it could not write when a local transaction half succeeds, so no mailbox gets a second copy', async () => {
    // u1's mailbox cannot be created: a plain file stands where its directory goes.
    const blocked = mailboxDir(join(net.stateDir, 'store1', 'maildir'), 'u1@acme.example');
    await mkdir(dirname(blocked), { recursive: true });
    await writeFile(blocked, 'not a directory');
    const since = net.events.length;
    const to = ['u0@acme.example', 'u1@acme.example'];
    const { response } = await net.send(
      'store1',
      { from: 'carol@globex.example', to },
      message('carol@globex.example', to.join(', '), 'half written'),
    );
    // Answered 250: u0's copy is written, u1's waits in the queue (a 451 would make the client send u0 a second copy).
    expect(response).toMatch(/^250 2\.0\.0 Ok: queued as \w+/);
    expect((await net.mailbox('store1', 'u0@acme.example')).filter((m) => m.subject === 'half written')).toHaveLength(
      1,
    );
    await net.waitFor(
      (e) => e.type === 'deferred' && e.host === 'store1' && e.recipients.includes('u1@acme.example'),
      since,
    );

    await rm(blocked);
    net.relay('store1').retryNow();
    await net.waitFor(delivered('store1', 'u1@acme.example'), since);
    expect((await net.mailbox('store1', 'u1@acme.example')).filter((m) => m.subject === 'half written')).toHaveLength(
      1,
    );
    expect((await net.mailbox('store1', 'u0@acme.example')).filter((m) => m.subject === 'half written')).toHaveLength(
      1,
    );
  });

  it('answers a failure of its own with a generic 451 that names no file, and logs the detail (issue 10)', async () => {
    const blocked = mailboxDir(join(net.stateDir, 'store1', 'maildir'), 'u2@acme.example');
    await mkdir(dirname(blocked), { recursive: true });
    await writeFile(blocked, 'not a directory');
    const since = net.events.length;
    const reply = await net
      .send(
        'store1',
        { from: 'carol@globex.example', to: ['u2@acme.example'] },
        message('carol@globex.example', 'u2@acme.example', 'not stored'),
      )
      .then(
        (info) => info.response,
        (error: { response?: string; message: string }) => error.response ?? error.message,
      );
    expect(reply).toMatch(/^451 4\.3\.0 /);
    expect(reply).not.toContain(net.stateDir);
    expect(reply).not.toMatch(/ENOTDIR|maildir/);
    const logged = net.events.slice(since).find((e) => e.type === 'error');
    expect(logged).toMatchObject({ host: 'store1', message: expect.stringContaining('ENOTDIR') });
    await rm(blocked);
  });

  it('takes RCPT TO:<postmaster> without a domain as the postmaster of its first domain (RFC 5321 §4.5.1)', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    expect(await smtp.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<Postmaster>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write('Subject: to the bare postmaster\r\n\r\nhello\r\n.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    // postmaster@acme.example is an alias of alice
    const [mail] = (await net.mailbox('store1', 'alice@acme.example')).filter(
      (m) => m.subject === 'to the bare postmaster',
    );
    expect(mail!.headers.get('delivered-to')).toMatchObject({ text: 'alice@acme.example' });
  });

  it('takes MAIL, RCPT and DATA in one segment, as it offers (RFC 2920 §3.1)', async () => {
    const since = net.events.length;
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    expect(await smtp.command('EHLO client.example.com')).toMatch(/^250-PIPELINING$/m);
    smtp.write('MAIL FROM:<carol@globex.example>\r\nRCPT TO:<alice@acme.example>\r\nDATA\r\n');
    expect([await smtp.reply(), await smtp.reply(), await smtp.reply()].map((r) => r.slice(0, 3))).toEqual([
      '250',
      '250',
      '354',
    ]);
    smtp.write('Subject: pipelined\r\n\r\nhello\r\n.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    await net.waitFor(delivered('store1', 'alice@acme.example'), since);
  });

  it('takes a quoted local part as the user it names unquoted (RFC 5321 §4.1.2)', async () => {
    const since = net.events.length;
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    await smtp.command('MAIL FROM:<carol@globex.example>');
    expect(await smtp.command('RCPT TO:<"alice"@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write('Subject: quoted\r\n\r\nhello\r\n.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    await net.waitFor(delivered('store1', 'alice@acme.example'), since);
    expect((await net.mailbox('store1', 'alice@acme.example')).filter((m) => m.subject === 'quoted')).toHaveLength(1);
  });

  it('answers parameters of no extension it offers with 555 5.5.4 (RFC 5321 §4.1.1.11), and takes its own', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    expect(await smtp.command('MAIL FROM:<carol@globex.example> FOO=bar')).toMatch(/^555 5\.5\.4 .*FOO=bar/);
    expect(await smtp.command('MAIL FROM:<carol@globex.example> RET=HDRS')).toMatch(/^555 5\.5\.4 /);
    expect(await smtp.command('MAIL FROM:<carol@globex.example> SIZE=100 BODY=8BITMIME SMTPUTF8')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<alice@acme.example> NOTIFY=NEVER')).toMatch(/^555 5\.5\.4 .*NOTIFY=NEVER/);
    expect(await smtp.command('RCPT TO:<alice@acme.example> ORCPT=rfc822;alice@acme.example')).toMatch(/^555 /);
    expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('RSET')).toMatch(/^250/);
    await smtp.command('QUIT');
  });

  it('answers EXPN, which it does not offer, with 502, however often it is asked', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    // more than smtp-server's ten unrecognized commands: EXPN is not one of them
    for (let i = 0; i < 12; i++) expect(await smtp.command('EXPN sales')).toMatch(/^502 5\.5\.1 /);
    expect(await smtp.command('NOOP')).toMatch(/^250/);
    await smtp.command('QUIT');
  });

  it('rejects an unknown user at RCPT on every MX of the domain, backups included', async () => {
    const cases: [host: string, to: string][] = [
      ['store1', 'nobody@acme.example'],
      ['backup', 'nobody@acme.example'],
      ['store2', 'nobody@globex.example'],
      ['backup', 'nobody@globex.example'],
    ];
    for (const [host, to] of cases) {
      expect(
        await refusal(
          net.send(host, { from: 'someone@example.com', to: [to] }, message('someone@example.com', to, 'unknown')),
        ),
        `${to} on ${host}`,
      ).toBe('550 5.1.1');
    }
  });

  it('refuses to relay: foreign domains, and planned domains the host does not serve; null MX gets 556', async () => {
    const cases: [host: string, to: string, expected: string][] = [
      ['store1', 'someone@example.com', '550 5.7.1'],
      ['store2', 'someone@example.com', '550 5.7.1'],
      ['backup', 'someone@example.com', '550 5.7.1'],
      ['store1', 'carol@globex.example', '550 5.7.1'],
      ['store1', 'x@parked.example', '556 5.1.10'],
      ['backup', 'x@parked.example', '556 5.1.10'],
    ];
    for (const [host, to, expected] of cases) {
      expect(
        await refusal(
          net.send(host, { from: 'someone@example.com', to: [to] }, message('someone@example.com', to, 'relay?')),
        ),
        `${to} on ${host}`,
      ).toBe(expected);
    }
  });

  it('turns a smuggling probe into exactly one message (bare LF normalised before queueing)', async () => {
    const since = net.events.length;
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    expect(await smtp.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write(
      'Subject: smuggling probe\r\n\r\nfirst message\n.\r\nMAIL FROM:<mallory@acme.example>\r\nRCPT TO:<bob@acme.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nsecond message\r\n.\r\n',
    );
    expect(await smtp.reply()).toMatch(/^250 /);
    // whatever follows is a new command: the smuggled MAIL was data, so QUIT is the next command
    expect(await smtp.command('QUIT')).toMatch(/^221/);
    smtp.close();

    const accepted = await net.waitFor((e) => e.type === 'accepted' && e.host === 'store1', since);
    expect(accepted).toMatchObject({ recipients: ['alice@acme.example'], bareLineEndings: 1 });
    const probes = (await net.mailbox('store1', 'alice@acme.example')).filter((m) => m.subject === 'smuggling probe');
    expect(probes).toHaveLength(1);
    expect(probes[0]!.text).toContain('MAIL FROM:<mallory@acme.example>'); // as text, not as a command
    expect((await net.mailbox('store2', 'bob@acme.example')).filter((m) => m.subject === 'smuggled')).toEqual([]);
    expect(net.events.slice(since).filter((e) => e.type === 'accepted')).toHaveLength(1);
    // and the stored bytes have CRLF line ends only
    const dir = join(net.stateDir, 'store1', 'maildir', 'acme.example', 'alice', 'new');
    const stored = [];
    for (const name of await readdir(dir)) {
      const bytes = await readFile(join(dir, name), 'latin1');
      if (bytes.includes('smuggling probe')) stored.push(bytes);
    }
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toMatch(/[^\r]\n|\r[^\n]/);
  });

  it('enforces the size limit with 552, at MAIL FROM SIZE= and after an oversized DATA, and goes on', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    expect(await smtp.command('EHLO client.example.com')).toContain('SIZE 65536');
    expect(await smtp.command('MAIL FROM:<carol@globex.example> SIZE=100000')).toMatch(/^552/);
    expect(await smtp.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write(`Subject: too big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(100) + '.\r\n');
    expect(await smtp.reply()).toMatch(/^552 5\.3\.4 /);
    // the session is still usable
    expect(await smtp.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write('Subject: small after big\r\n\r\nok\r\n.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    const subjects = (await net.mailbox('store1', 'alice@acme.example')).map((m) => m.subject);
    expect(subjects).toContain('small after big');
    expect(subjects).not.toContain('too big');
  });

  it('takes 100 recipients in one transaction and answers 452 beyond', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    await smtp.command('MAIL FROM:<carol@globex.example>');
    for (let i = 0; i < 100; i++) expect(await smtp.command(`RCPT TO:<u${i}@acme.example>`)).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<u100@acme.example>')).toMatch(/^452/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write('Subject: hundred\r\n\r\nto a hundred\r\n.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    expect(await net.mailbox('store1', 'u99@acme.example')).toHaveLength(1);
    expect(await net.mailbox('store1', 'u100@acme.example')).toHaveLength(0);
  });

  it('bounces a message that has looped past the hop limit (554 5.4.6)', async () => {
    const hops = Array.from(
      { length: plan.hopLimit },
      (_, i) => `Received: from a${i}.example.com by b${i}.example.com id X${i}; Thu, 28 Nov 2024 04:00:00 +0000\r\n`,
    ).join('');
    expect(
      await refusal(
        net.send(
          'store1',
          { from: 'carol@globex.example', to: ['alice@acme.example'] },
          hops + message('carol@globex.example', 'alice@acme.example', 'loop'),
        ),
      ),
    ).toBe('554 5.4.6');
  });
});

describe('a silent client', () => {
  it('is dropped after the socket timeout', async () => {
    // A short timeout of its own: the other tests' sessions must not race it on a busy machine.
    await using net = await startMailNet(plan, ['backup'], { backup: { overrides: { commandDeadline: 500 } } });
    const { smtp, greeting } = await RawSmtp.connect(net.port('backup'));
    expect(greeting).toMatch(/^220 mx-backup\.infra\.example ESMTP/);
    expect(await smtp.reply()).toMatch(/^421 /);
    await smtp.closed;
  });
});

describe('backup MX while the primary is down', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1', 'store2', 'backup']);
  });
  afterAll(async () => {
    await net?.close();
  });

  it('a sender falls through to the backup, which queues and delivers exactly once when the primary returns', async () => {
    await net.stop('store1');
    const since = net.events.length;
    // an Internet sender: MX lookup through the responder, the primary refuses, the backup answers
    const client = new SmtpClient({
      helo: 'sender.example.com',
      connectTimeout: 2000,
      greetingTimeout: 2000,
      socketTimeout: 5000,
      reuseFor: 100,
    });
    const body = Buffer.from(message('someone@example.com', 'alice@acme.example', 'via backup'));
    const sent = await transmit(
      { kind: 'mx', domain: 'acme.example' },
      'someone@example.com',
      ['alice@acme.example'],
      body,
      {
        resolver: net.resolver,
        connector: net.book,
        client,
        maxRecipients: 100,
        self: { fqdn: 'sender.example.com', addresses: new Set() },
        random: Math.random,
      },
    );
    client.close();
    expect(sent.outcomes.get('alice@acme.example')).toMatchObject({
      status: 'delivered',
      remote: 'mx-backup.infra.example',
    });

    const deferred = await net.waitFor((e) => e.type === 'deferred' && e.host === 'backup', since);
    expect(deferred).toMatchObject({ recipients: ['alice@acme.example'] });
    expect((deferred as { reason: string }).reason).toMatch(
      /^451 4\.4\.1 mail1\.infra\.example \[(192\.0\.2\.10|2001:db8::10)\]/,
    );
    expect(net.relay('backup').queued()).toBe(1);

    await net.start('store1');
    await net.waitFor(delivered('backup', 'alice@acme.example'), since);
    expect(net.relay('backup').queued()).toBe(0);
    net.relay('backup').retryNow(); // nothing left to send again
    const copies = (await net.mailbox('store1', 'alice@acme.example')).filter((m) => m.subject === 'via backup');
    expect(copies).toHaveLength(1);
    expect(receivedBy(copies[0]!)).toEqual(['mail1.infra.example', 'mx-backup.infra.example']);
  });
});

describe('queue lifetime', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store2', 'backup'], {
      backup: { overrides: { queueLifetime: 1, firstRetry: 200, maxRetry: 400 } },
    });
  });
  afterAll(async () => {
    await net?.close();
  });

  it('bounces once after the lifetime: an RFC 3464 DSN from <> reaches the sender through normal routing', async () => {
    // store1 (acme's primary) never runs: its addresses are not even in the address book
    const since = net.events.length;
    await net.send(
      'backup',
      { from: 'carol@globex.example', to: ['alice@acme.example'] },
      message('carol@globex.example', 'alice@acme.example', 'doomed'),
    );
    const bounced = await net.waitFor((e) => e.type === 'bounced' && e.host === 'backup', since);
    expect(bounced).toMatchObject({ recipients: ['alice@acme.example'] });
    // the DSN goes from the backup to globex's primary MX, store2, carol's home
    await net.waitFor(delivered('store2', 'carol@globex.example'), since);
    const dsns = (await net.mailbox('store2', 'carol@globex.example')).filter(
      (m) => m.subject === 'Undelivered Mail Returned to Sender',
    );
    expect(dsns).toHaveLength(1);
    const dsn = dsns[0]!;
    expect(dsn.headers.get('content-type')).toMatchObject({
      value: 'multipart/report',
      params: { 'report-type': 'delivery-status' },
    });
    expect(dsn.headers.get('return-path')).toMatchObject({ text: '' });
    expect(dsn.headers.get('auto-submitted')).toBe('auto-replied');
    // mailparser shows the message/delivery-status part as text, after the note for people
    expect(dsn.text).toMatch(/Reporting-MTA: dns; mx-backup\.infra\.example/);
    expect(dsn.text).toMatch(/Final-Recipient: rfc822; alice@acme\.example\nAction: failed\nStatus: 4\.4\.7\n/);
    expect(dsn.text).toMatch(
      /Diagnostic-Code: smtp; 451 4\.4\.7 Delivery time expired; last error: 451 4\.4\.1 mail1\.infra\.example/,
    );
    expect(dsn.attachments.find((a) => a.contentType === 'text/rfc822-headers')!.content.toString()).toContain(
      'Subject: doomed',
    );
  });

  it('sends no DSN about a message from the null reverse-path', async () => {
    const since = net.events.length;
    await net.send(
      'backup',
      { from: '', to: ['alice@acme.example'] },
      message('mailer-daemon@example.com', 'alice@acme.example', 'bounce of a bounce'),
    );
    const bounced = await net.waitFor((e) => e.type === 'bounced' && e.host === 'backup', since);
    // no DSN was queued: the bounce names none and the backup's queue is empty
    expect(bounced).toMatchObject({ dsn: undefined });
    expect(net.relay('backup').queued()).toBe(0);
  });
});

describe('a relay-only host holds no mailboxes (issue 10)', () => {
  // ben is homed on the backup, which is an MX of acme; dan on the backup, which is no MX of
  // hooli. Lint calls both errors (user-home-store); the relays must still lose nothing quietly.
  const misplaced = planOf(
    topology((t) => {
      t.domains['acme.example'].users.ben = 'backup';
      t.domains['hooli.example'] = {
        mx: [{ host: 'store1', preference: 10 }],
        users: { dan: 'backup', gavin: 'store1' },
      };
    }),
  );
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(await misplaced, ['store1', 'store2', 'backup']);
  });
  afterAll(async () => {
    await net?.close();
  });

  const bounced = (recipient: string) => (e: MailEvent) => e.type === 'bounced' && e.recipients.includes(recipient);

  it('passes mail for a user homed on it to the MX, never to a Maildir: it loops until the hop limit and bounces', async () => {
    const since = net.events.length;
    await net.send(
      'store1',
      { from: 'carol@globex.example', to: ['ben@acme.example'] },
      message('carol@globex.example', 'ben@acme.example', 'for ben'),
    );
    // store1 forwards to ben's home, the backup hands it to acme's best MX, store1, and so on:
    // Postfix configured from the same plan does the same, until hopcount_limit.
    const bounce = await net.waitFor(bounced('ben@acme.example'), since, 30_000);
    expect((bounce as { reason: string }).reason).toMatch(/^554 5\.4\.6 /);
    await net.waitFor(delivered('store2', 'carol@globex.example'), since);
    const dsns = (await net.mailbox('store2', 'carol@globex.example')).filter(
      (m) => m.subject === 'Undelivered Mail Returned to Sender',
    );
    expect(dsns.map((m) => m.text)).toEqual([expect.stringMatching(/Final-Recipient: rfc822; ben@acme\.example/)]);
    expect(net.events.filter((e) => e.type === 'delivered' && e.host === 'backup' && e.to === 'maildir')).toEqual([]);
  });

  it('refuses a domain it is no MX of, even for a user homed on it, so the forwarding store bounces', async () => {
    expect(
      await refusal(
        net.send(
          'backup',
          { from: 'carol@globex.example', to: ['dan@hooli.example'] },
          message('carol@globex.example', 'dan@hooli.example', 'direct to dan'),
        ),
      ),
    ).toBe('550 5.7.1');
    const since = net.events.length;
    await net.send(
      'store1',
      { from: 'carol@globex.example', to: ['dan@hooli.example'] },
      message('carol@globex.example', 'dan@hooli.example', 'for dan'),
    );
    const bounce = await net.waitFor(bounced('dan@hooli.example'), since);
    expect(bounce).toMatchObject({ host: 'store1' });
    expect((bounce as { reason: string }).reason).toMatch(/^550 5\.7\.1 /);
  });

  it('never made a Maildir at all', async () => {
    await expect(readdir(join(net.stateDir, 'backup'))).resolves.not.toContain('maildir');
  });
});
