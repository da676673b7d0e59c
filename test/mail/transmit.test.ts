/**
 * The client side against scripted smtp-server instances on 127.0.0.1:0: which failures move on
 * to the next MX and which are final (RFC 5321 §5.1, as Postfix's smtp(8) reads it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { EndpointBook } from '../../src/mail/connector.js';
import type { MailResolver } from '../../src/mail/resolver.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { transmit } from '../../src/mail/transmit.js';

type Behaviour = { greeting?: number; rcpt?: Record<string, number>; data?: number };

interface Scripted {
  readonly port: number;
  readonly received: { to: string[]; body: string }[];
  connections: number;
  close(): Promise<void>;
}

/** An SMTP server that answers as told: a greeting code, RCPT codes per address, a DATA code. */
async function scripted(behaviour: Behaviour): Promise<Scripted> {
  const received: { to: string[]; body: string }[] = [];
  const state = { connections: 0 };
  const fail = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      state.connections++;
      callback(behaviour.greeting ? fail(behaviour.greeting, 'go away') : null);
    },
    onRcptTo(address, _session, callback) {
      const code = behaviour.rcpt?.[address.address];
      callback(code ? fail(code, `${code === 550 ? '5.1.1' : '4.2.0'} no`) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (behaviour.data) return callback(fail(behaviour.data, 'data refused'));
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString() });
        callback(null, 'Ok');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    get connections() {
      return state.connections;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** example.org has two MX hosts, 10 and 20; each has one documentation address. */
const resolver: MailResolver = {
  resolveMx: async (d) => {
    if (d !== 'example.org') throw Object.assign(new Error(d), { code: 'ENOTFOUND' });
    return [
      { exchange: 'mx2.example.org', priority: 20 },
      { exchange: 'mx1.example.org', priority: 10 },
    ];
  },
  resolve4: async (n) => ({ 'mx1.example.org': ['192.0.2.1'], 'mx2.example.org': ['192.0.2.2'] })[n] ?? [],
  resolve6: async () => {
    throw Object.assign(new Error('none'), { code: 'ENODATA' });
  },
};

let client: SmtpClient;
beforeAll(() => {
  client = new SmtpClient({
    helo: 'relay.example.net',
    connectTimeout: 2000,
    greetingTimeout: 2000,
    socketTimeout: 5000,
    reuseFor: 200,
  });
});
afterAll(() => client.close());

async function scenario(
  primary: Behaviour | 'down' | 'unlisted',
  secondary: Behaviour,
  recipients = ['a@example.org'],
) {
  const book = new EndpointBook();
  const servers: Scripted[] = [];
  if (primary === 'down') {
    const gone = await scripted({});
    await gone.close();
    book.set('192.0.2.1', { host: '127.0.0.1', port: gone.port }); // closed: connection refused
  } else if (primary !== 'unlisted') {
    const s = await scripted(primary);
    servers.push(s);
    book.set('192.0.2.1', { host: '127.0.0.1', port: s.port });
  }
  const second = await scripted(secondary);
  servers.push(second);
  book.set('192.0.2.2', { host: '127.0.0.1', port: second.port });
  const result = await transmit(
    { kind: 'mx', domain: 'example.org' },
    'sender@example.net',
    recipients,
    Buffer.from('Subject: t\r\n\r\nbody\r\n'),
    {
      resolver,
      connector: book,
      client,
      maxRecipients: 100,
      self: { fqdn: 'relay.example.net', addresses: new Set() },
      random: () => 0,
    },
  );
  await Promise.all(servers.map((s) => s.close()));
  const outcomes = Object.fromEntries(
    [...result.outcomes].map(([r, o]) => [r, `${o.status} ${o.reply.code} ${o.remote ?? '-'}`]),
  );
  return { outcomes, unreachable: result.unreachable, secondary: second };
}

describe('transmit', () => {
  it('delivers through the most preferred MX', async () => {
    const { outcomes, secondary } = await scenario({}, {});
    expect(outcomes).toEqual({ 'a@example.org': 'delivered 250 mx1.example.org' });
    expect(secondary.connections).toBe(0);
  });

  it('falls through to the next MX when the first refuses the connection', async () => {
    const { outcomes, secondary } = await scenario('down', {});
    expect(outcomes).toEqual({ 'a@example.org': 'delivered 250 mx2.example.org' });
    expect(secondary.received).toHaveLength(1);
  });

  it('never dials an address that has no loopback endpoint', async () => {
    const { outcomes } = await scenario('unlisted', {});
    expect(outcomes).toEqual({ 'a@example.org': 'delivered 250 mx2.example.org' });
  });

  it.each([421, 554])('falls through to the next MX on a %i greeting', async (code) => {
    const { outcomes } = await scenario({ greeting: code }, {});
    expect(outcomes).toEqual({ 'a@example.org': 'delivered 250 mx2.example.org' });
  });

  it('takes a 5xx at RCPT as final for that recipient: no other MX is tried', async () => {
    const { outcomes, secondary } = await scenario({ rcpt: { 'gone@example.org': 550 } }, {}, [
      'a@example.org',
      'gone@example.org',
    ]);
    expect(outcomes).toEqual({
      'a@example.org': 'delivered 250 mx1.example.org',
      'gone@example.org': 'failed 550 mx1.example.org',
    });
    expect(secondary.connections).toBe(0);
  });

  it('defers a 4xx at RCPT to the next attempt, and a 4xx at DATA for everyone', async () => {
    expect(
      (await scenario({ rcpt: { 'grey@example.org': 451 } }, {}, ['a@example.org', 'grey@example.org'])).outcomes,
    ).toEqual({
      'a@example.org': 'delivered 250 mx1.example.org',
      'grey@example.org': 'deferred 451 mx1.example.org',
    });
    expect((await scenario({ data: 452 }, {})).outcomes).toEqual({ 'a@example.org': 'deferred 452 mx1.example.org' });
    expect((await scenario({ data: 554 }, {})).outcomes).toEqual({ 'a@example.org': 'failed 554 mx1.example.org' });
  });

  it('reports the destination unreachable when no MX holds a session', async () => {
    const { outcomes, unreachable } = await scenario('down', { greeting: 421 });
    expect(outcomes['a@example.org']).toMatch(/^deferred 421 /);
    expect(unreachable).toBe(true);
  });

  it('sends several messages over one pooled session', async () => {
    const server = await scripted({});
    const book = new EndpointBook([['192.0.2.1', { host: '127.0.0.1', port: server.port }]]);
    const ctx = {
      resolver,
      connector: book,
      client,
      maxRecipients: 100,
      self: { fqdn: 'relay.example.net', addresses: new Set<string>() },
      random: () => 0,
    };
    for (let i = 0; i < 3; i++)
      await transmit(
        { kind: 'mx', domain: 'example.org' },
        's@example.net',
        ['a@example.org'],
        Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`),
        ctx,
      );
    expect(server.received).toHaveLength(3);
    expect(server.connections).toBe(1);
    await server.close();
  });

  it('closing the client ends a session still waiting for its greeting, and leaves no timer behind', async () => {
    // A host that takes connections and never greets (the sandbox's cut host).
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const waiting = new SmtpClient({
      helo: 'relay.example.net',
      connectTimeout: 2000,
      greetingTimeout: 60_000,
      socketTimeout: 60_000,
      reuseFor: 200,
    });
    const sent = waiting.send(
      { host: '127.0.0.1', port },
      { from: 's@example.net', to: ['a@example.org'] },
      Buffer.from('x'),
    );
    await expect.poll(() => held.length).toBe(1);
    waiting.close();
    // Ended by the close, not by the 60 s greeting timeout (nodemailer's timer kept the process
    // alive that long after the relay stopped).
    expect((await sent).stage).toBe('connect');
    expect(timers()).toBe(before);
    held.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });
});
