/**
 * Internationalized addresses end to end (RFC 6531, issue 10). The plan's loader does not take a
 * UTF-8 local part yet, so the addresses here are senders outside the plan's users, or are
 * handed to the stages directly: the relay side is proven without the loader.
 *
 * - a non-ASCII address only with SMTPUTF8 on MAIL FROM (§3.4, else 553 5.6.7);
 * - Return-Path, Delivered-To and Received in UTF-8, "with UTF8SMTP" (§3.7.3);
 * - a Maildir's directory is the UTF-8 local part;
 * - no downgrade: a next hop that does not offer SMTPUTF8 gets nothing, the recipient fails 5.6.7;
 * - the DSN about such an address follows RFC 6533.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointBook } from '../../src/mail/connector.js';
import { buildDsn } from '../../src/mail/dsn.js';
import { MaildirStore } from '../../src/mail/maildir.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { transmit } from '../../src/mail/transmit.js';
import { planOf, topology } from '../helpers/topology.js';
import { FakeClock } from './support/fake-clock.js';
import { message, startMailNet, type MailNet } from './support/mail-net.js';
import { RawSmtp } from './support/raw-smtp.js';

const plan = await planOf(topology());
const JURGEN = 'jürgen@globex.example';

describe('a relay and internationalized addresses', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1', 'store2', 'backup']);
  });
  afterAll(async () => {
    await net?.close();
  });

  it('refuses a non-ASCII sender or recipient in a transaction without SMTPUTF8 (553 5.6.7)', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    expect(await smtp.command('EHLO client.example.com')).toMatch(/^250-.*\r\n(250-.*\r\n)*250[- ]SMTPUTF8/m);
    expect(await smtp.command(`MAIL FROM:<${JURGEN}>`)).toMatch(/^553 5\.6\.7 /);
    expect(await smtp.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<zoë@acme.example>')).toMatch(/^553 5\.6\.7 /);
    await smtp.command('QUIT');
  });

  it('takes one with SMTPUTF8 and writes Return-Path, Delivered-To and Received in UTF-8', async () => {
    const since = net.events.length;
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    expect(await smtp.command(`MAIL FROM:<${JURGEN}> SMTPUTF8`)).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    smtp.write(Buffer.from(`From: <${JURGEN}>\r\nSubject: grüße\r\n\r\nhallo\r\n.\r\n`, 'utf8'));
    expect(await smtp.reply()).toMatch(/^250 /);
    await smtp.command('QUIT');
    await net.waitFor((e) => e.type === 'delivered' && e.recipient === 'alice@acme.example', since);

    const dir = join(net.stateDir, 'store1', 'maildir', 'acme.example', 'alice', 'new');
    const files = await Promise.all((await readdir(dir)).map((name) => readFile(join(dir, name))));
    const stored = files.find((bytes) => bytes.includes(Buffer.from('Subject: grüße', 'utf8')))!;
    expect(stored.toString('utf8')).toMatch(
      /^Return-Path: <jürgen@globex\.example>\r\nDelivered-To: alice@acme\.example\r\n/,
    );
    expect(stored.includes(0xfc)).toBe(false); // no Latin-1 ü anywhere
    const mail = await simpleParser(stored);
    expect(mail.headers.get('return-path')).toMatchObject({ value: [{ address: JURGEN }] });
    expect(stored.toString('utf8')).toMatch(
      /^Received: from client\.example\.com .*\r\n\tby mail1\.infra\.example \(mxplan\) with UTF8SMTP id \w+/m,
    );
  });

  it('takes one from nodemailer, which asks for SMTPUTF8 itself', async () => {
    const { response } = await net.send(
      'store1',
      { from: JURGEN, to: ['alice@acme.example'] },
      message(JURGEN, 'alice@acme.example', 'from nodemailer'),
    );
    expect(response).toMatch(/^250 /);
  });
});

describe('a Maildir for an internationalized address', () => {
  it('is the UTF-8 local part, and its files begin with UTF-8 Return-Path and Delivered-To', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mxplan-maildir-utf8-'));
    try {
      const store = new MaildirStore(root, 'mail1.infra.example', new FakeClock());
      const { path } = await store.deliver(
        'jürgen@acme.example',
        Buffer.from('Subject: x\r\n\r\ny\r\n'),
        'K1',
        'zoë@example.com',
      );
      const names = await readdir(join(root, 'acme.example'), { encoding: 'buffer' });
      expect(names).toEqual([Buffer.from('jürgen', 'utf8')]);
      expect((await readFile(path)).toString('utf8')).toMatch(
        /^Return-Path: <zoë@example\.com>\r\nDelivered-To: jürgen@acme\.example\r\n/,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the next hop of a message that needs SMTPUTF8', () => {
  async function nextHop(offersSmtpUtf8: boolean) {
    const received: { smtpUtf8: boolean; to: string[] }[] = [];
    const server = new SMTPServer({
      disableReverseLookup: true,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideSMTPUTF8: !offersSmtpUtf8,
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push({
            smtpUtf8: session.envelope.smtpUtf8 === true,
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          callback(null, 'Ok');
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.server.address() as AddressInfo).port,
      received,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const client = new SmtpClient({
    helo: 'mail1.infra.example',
    connectTimeout: 2000,
    greetingTimeout: 2000,
    socketTimeout: 5000,
    reuseFor: 100,
  });
  afterAll(() => client.close());
  const send = (port: number, from: string, to: string) =>
    transmit({ kind: 'host', host: plan.hosts.get('store2')! }, from, [to], Buffer.from('Subject: x\r\n\r\ny\r\n'), {
      resolver: { resolveMx: async () => [], resolve4: async () => [], resolve6: async () => [] },
      connector: new EndpointBook([['192.0.2.11', { host: '127.0.0.1', port }]]),
      client,
      maxRecipients: 100,
      self: { fqdn: 'mail1.infra.example', addresses: new Set() },
      random: Math.random,
    });

  it('gets it with SMTPUTF8 when it offers the extension', async () => {
    const hop = await nextHop(true);
    try {
      const result = await send(hop.port, JURGEN, 'bob@acme.example');
      expect(result.outcomes.get('bob@acme.example')).toMatchObject({ status: 'delivered' });
      expect(hop.received).toEqual([{ smtpUtf8: true, to: ['bob@acme.example'] }]);
    } finally {
      await hop.close();
    }
  });

  it('gets nothing when it does not: no downgrade, the recipient fails with 5.6.7 (RFC 6531 §3.2)', async () => {
    const hop = await nextHop(false);
    try {
      const result = await send(hop.port, 'carol@globex.example', 'zoë@acme.example');
      expect(result.outcomes.get('zoë@acme.example')).toMatchObject({
        status: 'failed',
        reply: {
          code: 553,
          enhanced: '5.6.7',
          text: 'SMTPUTF8 is required, but was not offered by host mail2.infra.example',
        },
      });
      // and an all-ASCII envelope still goes
      expect(
        (await send(hop.port, 'carol@globex.example', 'bob@acme.example')).outcomes.get('bob@acme.example'),
      ).toMatchObject({
        status: 'delivered',
      });
      expect(hop.received).toEqual([{ smtpUtf8: false, to: ['bob@acme.example'] }]);
    } finally {
      await hop.close();
    }
  });
});

describe('a DSN about an internationalized address (RFC 6533)', () => {
  const headers = Buffer.from(`From: <${JURGEN}>\r\nSubject: grüße\r\n\r\n`, 'utf8');
  const dsn = buildDsn({
    reportingMta: 'mail1.infra.example',
    to: JURGEN,
    queueId: 'Q1',
    arrival: Date.UTC(2024, 10, 28),
    date: Date.UTC(2024, 10, 29),
    failures: [
      {
        address: 'zoë@acme.example',
        original: 'zoë@acme.example',
        reply: { code: 553, enhanced: '5.6.7', text: 'SMTPUTF8 is required, but was not offered by host x' },
      },
    ],
    originalHeaders: headers,
    uniq: 'Q1dsn',
  });

  it('is message/global-delivery-status with the utf-8 address type, and returns the headers byte for byte', async () => {
    const text = dsn.toString('utf8');
    expect(text).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(text).toMatch(/Content-Type: message\/global-delivery-status\r\n\r\n/);
    expect(text).toMatch(/\r\nFinal-Recipient: utf-8; zoë@acme\.example\r\n/);
    expect(text).toMatch(/Content-Type: message\/global-headers\r\n\r\n/);
    expect(dsn.includes(headers.subarray(0, headers.length - 4))).toBe(true);
    const parsed = await simpleParser(dsn);
    expect(parsed.to).toMatchObject({ value: [{ address: JURGEN }] });
    expect(parsed.text).toContain('<zoë@acme.example>: 553 5.6.7');
  });
});
