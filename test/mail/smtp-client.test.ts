/**
 * The relays' SMTP client (smtp-client.ts, client-session.ts) against smtp-server on 127.0.0.1:0,
 * whose socket the test holds, so that it sees what the client sends in each segment:
 *
 * - MAIL, RCPT and DATA in one write when the server offers PIPELINING (RFC 2920 §3.1), one
 *   command per reply when it does not;
 * - every reply of a pipelined group counts: refused recipients, and a group none of whose
 *   recipients is accepted sends no message;
 * - the message arrives as it was queued: dot-stuffing (RFC 5321 §4.5.2) undone by the server,
 *   a bare LF sent as CRLF;
 * - the messages to one endpoint share a session.
 */
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { dotStuffed } from '../../src/mail/client-session.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';

interface Observed {
  readonly port: number;
  /** What the client sent, segment by segment, per connection. */
  readonly segments: string[][];
  readonly messages: { readonly to: string[]; readonly body: Buffer }[];
  close(): Promise<void>;
}

async function observed(options: { pipelining: boolean; refuse?: readonly string[] }): Promise<Observed> {
  const messages: { to: string[]; body: Buffer }[] = [];
  const segments: string[][] = [];
  const smtp = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hidePIPELINING: !options.pipelining,
    size: 1024 * 1024, // SIZE offered: MAIL says the message's (RFC 1870)
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.refuse?.includes(address.address))
        return callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(parts) });
        callback(null, 'Ok: queued as T1');
      });
    },
  });
  const listener = createServer((socket) => {
    const mine: string[] = [];
    segments.push(mine);
    socket.on('data', (chunk: Buffer) => mine.push(chunk.toString('latin1')));
    smtp.connect(socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as AddressInfo).port,
    segments,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        smtp.close();
      }),
  };
}

const client = new SmtpClient({
  helo: 'mail1.infra.example',
  connectTimeout: 2000,
  greetingTimeout: 2000,
  socketTimeout: 5000,
  reuseFor: 100, // long enough for the messages sent one after another, short enough for each server's close
});
afterAll(() => client.close());

const MESSAGE = Buffer.from('Subject: t\r\n\r\nbody\r\n');
const send = (port: number, to: string[], message = MESSAGE) =>
  client.send({ host: '127.0.0.1', port }, { from: 'carol@globex.example', to }, message);

/** The segment of the session that carries the MAIL command. */
const groupOf = (segments: readonly string[]) => segments.find((s) => s.startsWith('MAIL FROM:'));

describe('the relays’ SMTP client', () => {
  it('sends MAIL, RCPT and DATA in one segment to a server that offers PIPELINING (RFC 2920)', async () => {
    const server = await observed({ pipelining: true });
    try {
      const result = await send(server.port, ['bob@acme.example', 'dave@acme.example']);
      expect(result).toMatchObject({ stage: 'done', accepted: ['bob@acme.example', 'dave@acme.example'] });
      expect(groupOf(server.segments[0]!)).toBe(
        'MAIL FROM:<carol@globex.example> SIZE=20\r\nRCPT TO:<bob@acme.example>\r\nRCPT TO:<dave@acme.example>\r\nDATA\r\n',
      );
      expect(server.messages).toEqual([{ to: ['bob@acme.example', 'dave@acme.example'], body: MESSAGE }]);
    } finally {
      await server.close();
    }
  });

  it('waits for each reply when the server does not offer PIPELINING', async () => {
    const server = await observed({ pipelining: false });
    try {
      expect(await send(server.port, ['bob@acme.example'])).toMatchObject({ stage: 'done' });
      const commands = server.segments[0]!.filter((s) => /^(MAIL|RCPT|DATA)/.test(s));
      expect(commands).toEqual([
        'MAIL FROM:<carol@globex.example> SIZE=20\r\n',
        'RCPT TO:<bob@acme.example>\r\n',
        'DATA\r\n',
      ]);
      expect(server.messages).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  for (const pipelining of [true, false])
    it(`reads every reply of the group: a refused recipient keeps its 550 (PIPELINING ${pipelining ? 'on' : 'off'})`, async () => {
      const server = await observed({ pipelining, refuse: ['nobody@acme.example'] });
      try {
        const result = await send(server.port, ['nobody@acme.example', 'bob@acme.example']);
        expect(result).toMatchObject({ stage: 'done', accepted: ['bob@acme.example'] });
        if (result.stage !== 'done') throw new Error('not done');
        expect(result.refused.get('nobody@acme.example')).toMatchObject({ code: 550, enhanced: '5.1.1' });
        expect(server.messages).toEqual([{ to: ['bob@acme.example'], body: MESSAGE }]);
      } finally {
        await server.close();
      }
    });

  it('sends no message when no recipient is accepted, and does not reuse that session', async () => {
    const server = await observed({ pipelining: true, refuse: ['nobody@acme.example'] });
    try {
      const result = await send(server.port, ['nobody@acme.example']);
      expect(result).toMatchObject({ stage: 'done', accepted: [], reply: { code: 550 } });
      expect(server.messages).toEqual([]);
      expect(await send(server.port, ['bob@acme.example'])).toMatchObject({ stage: 'done' });
      expect(server.segments).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('delivers the message as queued: leading dots survive the stuffing, a bare LF arrives as CRLF', async () => {
    const server = await observed({ pipelining: true });
    try {
      const body = '.first\r\nSubject: dots\r\n\r\n.\r\n..two\r\nbare\nend.\r\n.';
      await send(server.port, ['bob@acme.example'], Buffer.from(body));
      expect(server.messages[0]!.body.toString()).toBe(body.replace('bare\n', 'bare\r\n') + '\r\n');
    } finally {
      await server.close();
    }
  });

  it('sends the messages to one endpoint over one session', async () => {
    const server = await observed({ pipelining: true });
    try {
      for (let i = 0; i < 3; i++)
        expect(await send(server.port, ['bob@acme.example'])).toMatchObject({ stage: 'done' });
      expect(server.segments).toHaveLength(1);
      expect(server.messages).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});

describe('dotStuffed', () => {
  const cases: [string, string][] = [
    ['a\r\nb\r\n', 'a\r\nb\r\n.\r\n'],
    ['.a\r\n', '..a\r\n.\r\n'],
    ['a\r\n.\r\n', 'a\r\n..\r\n.\r\n'],
    ['a\nb', 'a\r\nb\r\n.\r\n'],
    ['a\n.b\n', 'a\r\n..b\r\n.\r\n'],
    ['no end', 'no end\r\n.\r\n'],
    ['cr end\r', 'cr end\r\n.\r\n'],
    ['', '\r\n.\r\n'],
  ];
  for (const [message, wire] of cases)
    it(`${JSON.stringify(message)} goes as ${JSON.stringify(wire)}`, () => {
      expect(Buffer.concat(dotStuffed(Buffer.from(message))).toString()).toBe(wire);
    });
});
