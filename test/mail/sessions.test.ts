/**
 * Sessions under pressure (issue 10): the relays admit at most the host's planned SMTP sessions,
 * in all and per client address (421 4.7.0 beyond), and cut a client that trickles a command or
 * a message (421 4.4.2), as Postfix's smtpd_timeout with per-request deadlines does, while a
 * client that keeps to the minimum data rate is never cut. A flood never crashes a relay.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planOf, topology } from '../helpers/topology.js';
import { message, startMailNet, type MailNet } from './support/mail-net.js';
import { RawSmtp } from './support/raw-smtp.js';

const plan = await planOf(
  topology((t) => {
    t.hosts.store1.smtp = { sessions: 5, sessionsPerClient: 3 };
  }),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the plan sets each host’s SMTP session limits', () => {
  it('takes them from the host’s smtp field, Postfix’s defaults otherwise', () => {
    expect(plan.hosts.get('store1')!.smtp).toEqual({ sessions: 5, sessionsPerClient: 3 });
    expect(plan.hosts.get('backup')!.smtp).toEqual({ sessions: 100, sessionsPerClient: 50 });
  });

  it('refuses a limit below one in the schema', async () => {
    await expect(planOf(topology((t) => (t.hosts.store1.smtp = { sessionsPerClient: 0 })))).rejects.toThrow(
      /sessionsPerClient/,
    );
  });
});

describe('admission', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1', 'store2', 'backup']);
  });
  afterAll(async () => {
    await net?.close();
  });

  it('greets up to the per-client and the total limit, answers 421 4.7.0 beyond, and admits again once a session ends', async () => {
    const port = net.port('store1');
    const open: RawSmtp[] = [];
    const connect = async (from: string) => {
      const { smtp, greeting } = await RawSmtp.connect(port, from);
      if (greeting.startsWith('220')) open.push(smtp);
      else await smtp.closed;
      return greeting;
    };
    try {
      for (let i = 0; i < 3; i++) expect(await connect('127.0.0.1')).toMatch(/^220 /);
      expect(await connect('127.0.0.1')).toMatch(
        /^421 4\.7\.0 mail1\.infra\.example .*too many connections from 127\.0\.0\.1/,
      );
      for (let i = 0; i < 2; i++) expect(await connect('127.0.0.2')).toMatch(/^220 /);
      // five open: the host's limit, whoever asks
      expect(await connect('127.0.0.3')).toMatch(/^421 4\.7\.0 mail1\.infra\.example .*too many connections/);

      // the admitted sessions work
      const first = open[0]!;
      await first.command('EHLO client.example.com');
      expect(await first.command('MAIL FROM:<carol@globex.example>')).toMatch(/^250/);
      expect(await first.command('QUIT')).toMatch(/^221/);
      await first.closed;
      open.shift();
      await expect.poll(() => connect('127.0.0.3'), { timeout: 5000 }).toMatch(/^220 /);
    } finally {
      for (const smtp of open) smtp.close();
    }
  });

  it('survives a flood beyond both limits from several addresses, and serves mail afterwards', async () => {
    const port = net.port('backup'); // the plan's defaults: 100 in all, 50 per client
    const attempts = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        RawSmtp.connect(port, `127.0.0.${1 + (i % 4)}`).then(
          (connected) => connected,
          () => undefined,
        ),
      ),
    );
    const replies = attempts.map((a) => a?.greeting.slice(0, 9));
    expect(replies.filter((r) => r === '220 mx-ba')).toHaveLength(100);
    expect(replies.filter((r) => r === '421 4.7.0')).toHaveLength(500);
    const connected = attempts.filter((a) => a !== undefined);
    for (const a of connected) a.smtp.close();
    await Promise.all(connected.map((a) => a.smtp.closed));
    expect(connected).toHaveLength(600);
    const { response } = await net.send(
      'backup',
      { from: 'carol@globex.example', to: ['alice@acme.example'] },
      message('carol@globex.example', 'alice@acme.example', 'after the flood'),
    );
    expect(response).toMatch(/^250 /);
  });

  it('counts each host as a client of its own: a client at its cap does not lock the plan’s hosts out', async () => {
    // Three sessions from 127.0.0.1 fill store1's per-client cap; store2's relay dials from its own
    // loopback address, as a planned host dials from its own, and its forward to store1 is admitted.
    const held = await Promise.all([0, 1, 2].map(() => RawSmtp.connect(net.port('store1'), '127.0.0.1')));
    try {
      expect(held.map((h) => h.greeting.slice(0, 3))).toEqual(['220', '220', '220']);
      const since = net.events.length;
      const { response } = await net.send(
        'store2',
        { from: 'carol@globex.example', to: ['alice@acme.example'] },
        message('carol@globex.example', 'alice@acme.example', 'past a full cap'),
      );
      expect(response).toMatch(/^250 /);
      const delivered = await net.waitFor(
        (e) => e.type === 'delivered' && e.host === 'store1' && e.recipient === 'alice@acme.example',
        since,
        10_000,
      );
      expect(delivered).toMatchObject({ to: 'maildir' });
      expect(
        net.events.slice(since).filter((e) => e.type === 'deferred' && e.host === 'store2'),
        'store2 was refused by store1',
      ).toEqual([]);
    } finally {
      for (const h of held) h.smtp.close();
    }
  });
});

describe('greeting', () => {
  let net: MailNet;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1']);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await net?.close();
  });

  it('greets at once, as smtpd does: no timer stands between the connection and the 220', async () => {
    // smtp-server holds each greeting for 100 ms on a timer (server.ts greetAtOnce replaces that);
    // with timers frozen, a greeting that waited for one would never come.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { smtp, greeting } = await RawSmtp.connect(net.port('store1'));
      smtp.close();
      expect(greeting).toMatch(/^220 mail1\.infra\.example /);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('deadlines', () => {
  let net: MailNet;
  const deadline = 1500;
  beforeAll(async () => {
    net = await startMailNet(plan, ['store1'], {
      store1: { overrides: { commandDeadline: deadline, minDataRate: 500 } },
    });
  });
  afterAll(async () => {
    await net?.close();
  });

  /** Writes `text` one byte every `everyMs`, until the session closes or the text is out. */
  const trickle = async (smtp: RawSmtp, text: string, everyMs: number) => {
    let closed = false;
    void smtp.closed.then(() => (closed = true));
    for (const byte of text) {
      if (closed) return false;
      smtp.write(byte);
      await sleep(everyMs);
    }
    return true;
  };

  it('cuts a client that trickles a command one byte at a time (421 4.4.2), which an idle timer never would', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    expect(await smtp.command('EHLO client.example.com')).toMatch(/^250/);
    const t0 = performance.now();
    const reply = smtp.reply();
    const finished = await trickle(smtp, 'MAIL FROM:<carol@globex.example>\r\n', 100);
    expect(finished).toBe(false);
    expect(await reply).toMatch(/^421 4\.4\.2 mail1\.infra\.example Error: timeout exceeded/);
    await smtp.closed;
    expect(performance.now() - t0).toBeLessThan(deadline + 2000);
  });

  it('cuts a slow DATA once its bytes no longer pay for the time, and accepts nothing of it', async () => {
    const since = net.events.length;
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    await smtp.command('MAIL FROM:<carol@globex.example>');
    await smtp.command('RCPT TO:<alice@acme.example>');
    expect(await smtp.command('DATA')).toMatch(/^354/);
    const reply = smtp.reply();
    // 10 bytes a second buy 20 ms a second at 500 bytes/s: far short of the time they take
    const finished = await trickle(smtp, `Subject: slow\r\n\r\n${'x'.repeat(100)}\r\n.\r\n`, 100);
    expect(finished).toBe(false);
    expect(await reply).toMatch(/^421 4\.4\.2 /);
    await smtp.closed;
    expect(net.events.slice(since).filter((e) => e.type === 'accepted')).toEqual([]);
  });

  it('never cuts a client that keeps to the minimum data rate, nor one that waits between quick commands', async () => {
    const { smtp } = await RawSmtp.connect(net.port('store1'));
    await smtp.command('EHLO client.example.com');
    // quick commands, with pauses that add up to more than the deadline
    for (let i = 0; i < 4; i++) {
      await sleep(deadline / 2);
      expect(await smtp.command('NOOP')).toMatch(/^250/);
    }
    await smtp.command('MAIL FROM:<carol@globex.example>');
    await smtp.command('RCPT TO:<alice@acme.example>');
    expect(await smtp.command('DATA')).toMatch(/^354/);
    // 2,000 bytes a second, four times the minimum, for twice the deadline
    smtp.write('Subject: steady\r\n\r\n');
    const line = `${'y'.repeat(198)}\r\n`;
    for (let elapsed = 0; elapsed < 2 * deadline; elapsed += 100) {
      smtp.write(line);
      await sleep(100);
    }
    smtp.write('.\r\n');
    expect(await smtp.reply()).toMatch(/^250 /);
    expect(await smtp.command('QUIT')).toMatch(/^221/);
  });
});
