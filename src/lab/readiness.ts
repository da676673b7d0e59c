/**
 * Waiting until something the lab started answers, as a client would find it: a host's SMTP
 * greeting at each planned address, dialled from the outside; a name server's zones, asked over DNS.
 */
import type { Socket } from 'node:net';
import { query } from '../dns/client.js';
import type { Endpoint } from '../sandbox/engine.js';
import { LabError } from './exec.js';
import type { Machine } from './layout.js';
import type { NamespaceSockets } from './sockets.js';

const PATIENCE_MS = 30_000;

/**
 * Resolves once the machine greets at port 25 at every address: the 220 that says it is ready
 * (RFC 5321 §3.1), not only a connection taken. Postfix's master takes connections before an
 * smtpd runs; waiting for the greeting starts that smtpd here, not in the first client's session.
 */
export async function waitUntilAnswering(
  outside: NamespaceSockets,
  machine: Machine,
  gone?: () => Promise<unknown>,
  port = 25,
): Promise<void> {
  let failed: unknown;
  void gone?.().then(() => (failed ??= new LabError(`${machine.hostId ?? machine.namespace} stopped while starting`)));
  const deadline = Date.now() + PATIENCE_MS;
  for (const address of [...machine.ipv4, ...machine.ipv6]) {
    for (;;) {
      if (failed) throw failed as Error;
      const socket = await outside.connect(address, port, 1000).catch(() => undefined);
      if (socket && (await greets(socket, Math.max(1000, deadline - Date.now())))) break;
      if (Date.now() > deadline)
        throw new LabError(`${machine.hostId ?? machine.namespace} does not greet at ${address} port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Whether the server's greeting is a 220 within `timeoutMs`; says QUIT and closes either way. */
function greets(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const done = (ready: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ready) socket.end('QUIT\r\n');
      socket.destroySoon();
      resolve(ready);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.once('close', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // The reply's last line has a space after the code (RFC 5321 §4.2.1: "220-" lines go before it).
      const last = text
        .split('\n')
        .slice(0, -1)
        .find((line) => /^\d{3}(?!-)/.test(line));
      if (last !== undefined) done(last.startsWith('220'));
    });
    socket.resume();
  });
}

/**
 * Resolves once the server behind `endpoint` answers authoritatively for `zone`, with the SOA
 * serial `serial` when one is given (a reload has taken: RFC 1035 §3.3.13, the serial names the
 * zone's version).
 */
export async function waitForZone(
  endpoint: Endpoint,
  zone: string,
  alive: () => void,
  what: string,
  serial?: number,
): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    alive();
    const reply = await query({ address: endpoint.host, port: endpoint.port }, zone, 'SOA', {
      timeout: 300,
      tries: 1,
    }).catch(() => undefined);
    const served = reply?.answers.find((r) => r.type === 'SOA');
    const data = served?.data;
    const version = typeof data === 'object' && data !== null && 'serial' in data ? data.serial : undefined;
    if (reply?.authoritative && reply.rcode === 'NOERROR' && (serial === undefined || version === serial)) return;
    if (Date.now() > deadline)
      throw new LabError(
        serial === undefined
          ? `${what} does not answer for ${zone}`
          : `${what} still serves ${zone} at serial ${version ?? '(none)'}, not the new zone's ${serial}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
