/**
 * Verify's outside sender keeps a list of the addresses that lately gave no reply (RFC 5321
 * §4.5.4.1) and tries them after the others: one cut MX costs the first send its timeout, not
 * every send. It never skips them, and forgets them when a host changes state. The MX hosts here
 * are a silent port (a cut host, as the sandbox makes one) and smtp-server, which accepts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternetSender, type MxResolver } from '../../src/verify/sender.js';
import type { StsResolver } from '../../src/verify/sts.js';

const LOOPBACK = '127.0.0.1';

describe('the outside sender, with one MX that never answers', () => {
  let silent: Server;
  let accepting: SMTPServer;
  const held = new Set<Socket>();
  let silentConnections = 0;
  const received: string[] = [];
  const ports = { silent: 0, accepting: 0 };

  beforeAll(async () => {
    silent = createServer((socket) => {
      silentConnections++;
      held.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, LOOPBACK, resolve));
    ports.silent = (silent.address() as { port: number }).port;
    accepting = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        received.push(address.address);
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => accepting.listen(0, LOOPBACK, resolve));
    ports.accepting = (accepting.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await new Promise<void>((resolve) => accepting.close(() => resolve()));
  });

  // cut.example's best MX is the silent host (an IPv6 and an IPv4 address), its second the
  // accepting one; lonely.example has only the silent one. Documentation addresses (RFC 5737,
  // RFC 3849) stand for them, each mapped to a port.
  const resolver: MxResolver & StsResolver = {
    resolveMx: async (domain) =>
      domain === 'cut.example'
        ? [
            { exchange: 'silent.example', priority: 10 },
            { exchange: 'up.example', priority: 20 },
          ]
        : [{ exchange: 'silent.example', priority: 10 }],
    resolve4: async (name) => [name === 'silent.example' ? '192.0.2.1' : '192.0.2.2'],
    resolve6: async (name) => (name === 'silent.example' ? ['2001:db8::1'] : []),
    resolveTxt: async () => [],
  };
  const sender = () =>
    new InternetSender(resolver, {
      endpointFor: (address) =>
        address === '192.0.2.1' || address === '2001:db8::1'
          ? { host: LOOPBACK, port: ports.silent }
          : address === '192.0.2.2'
            ? { host: LOOPBACK, port: ports.accepting }
            : undefined,
      sourceOf: () => undefined,
    });
  const message = (to: string) => `From: a@outside.test\r\nTo: ${to}\r\nSubject: s\r\n\r\nbody\r\n`;

  it('pays the silent MX one timeout, not one per address, then goes to the next MX first', async () => {
    const outside = sender();
    try {
      // Its IPv6 address times out; its IPv4 address waits behind the next MX, which takes it.
      expect((await outside.send('a@outside.test', 'one@cut.example', message('one@cut.example'))).code).toBe(250);
      const afterFirst = silentConnections;
      expect(afterFirst).toBe(1);
      for (const to of ['two@cut.example', 'three@cut.example'])
        expect((await outside.send('a@outside.test', to, message(to))).code).toBe(250);
      expect(silentConnections).toBe(afterFirst);
      expect(received).toEqual(['one@cut.example', 'two@cut.example', 'three@cut.example']);

      // It is never skipped: with no other MX it is tried again, and the send says why it failed.
      const lonely = await outside.send('a@outside.test', 'x@lonely.example', message('x@lonely.example'));
      expect(lonely.code).toBe(0);
      expect(lonely.response).toMatch(/greeting/i);
      expect(silentConnections).toBe(afterFirst + 2);

      // A host changed state: the list is forgotten, and the best MX is tried first again.
      const beforeDrop = silentConnections;
      outside.dropConnections();
      expect((await outside.send('a@outside.test', 'four@cut.example', message('four@cut.example'))).code).toBe(250);
      expect(silentConnections).toBeGreaterThan(beforeDrop);
    } finally {
      outside.close();
    }
  });
});
