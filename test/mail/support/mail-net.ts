/**
 * The mail tests' view of a sandbox (src/sandbox): the real DNS responder, a c-ares resolver
 * pointed at it, the address book and one relay per started host on 127.0.0.1, plus what the
 * tests need on top: the relays' events, waiting for one, reading a mailbox, sending with
 * nodemailer. Hosts can be stopped (their port then refuses connections) and started again on
 * the same port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type { DnsServer } from '../../../src/dns/server.js';
import type { EndpointBook } from '../../../src/mail/connector.js';
import type { MailEvent } from '../../../src/mail/events.js';
import type { MailResolver } from '../../../src/mail/resolver.js';
import type { Relay } from '../../../src/mail/relay.js';
import { startSandbox, type RelaySettings } from '../../../src/sandbox/sandbox.js';
import type { Plan } from '../../../src/topology/types.js';
import { mailboxMessages } from '../../helpers/maildir.js';

export interface MailNet extends AsyncDisposable {
  readonly plan: Plan;
  readonly dns: DnsServer;
  readonly resolver: MailResolver;
  readonly book: EndpointBook;
  readonly stateDir: string;
  readonly events: MailEvent[];
  /** The running relay of a host. */
  relay(hostId: string): Relay;
  start(hostId: string): Promise<void>;
  stop(hostId: string): Promise<void>;
  port(hostId: string): number;
  /** Resolves with the first event (from index `since` on) that matches. */
  waitFor(match: (e: MailEvent) => boolean, since?: number, timeoutMs?: number): Promise<MailEvent>;
  /** Messages in a mailbox on a host, parsed, oldest first. */
  mailbox(hostId: string, address: string): Promise<ParsedMail[]>;
  /** Sends with nodemailer's SMTP transport (a client nobody here wrote). */
  send(
    hostId: string,
    envelope: { from: string; to: string[] },
    raw: string,
  ): Promise<{ response: string; accepted: string[] }>;
  close(): Promise<void>;
}

/** Quick retries, so a host that comes back is reached within a second. */
const QUICK = { firstRetry: 200, maxRetry: 800 };

export async function startMailNet(
  plan: Plan,
  hosts: readonly string[],
  relays: Record<string, RelaySettings> = {},
  stateDir?: string,
): Promise<MailNet> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'mxplan-mail-')));
  const events: MailEvent[] = [];
  const listeners = new Set<(e: MailEvent) => void>();
  const sandbox = await startSandbox({
    plan,
    stateDir: dir,
    profile: 'fast',
    overrides: QUICK,
    start: hosts,
    relays,
    log: (e) => {
      events.push(e);
      for (const l of listeners) l(e);
    },
  });

  const net: MailNet = {
    plan,
    dns: sandbox.dns,
    resolver: sandbox.resolver,
    book: sandbox.endpointBook,
    stateDir: dir,
    events,
    relay(hostId) {
      const relay = sandbox.relay(hostId);
      if (!relay) throw new Error(`${hostId} is down`);
      return relay;
    },
    start: (hostId) => sandbox.up(hostId),
    stop: (hostId) => sandbox.down(hostId),
    port: (hostId) => sandbox.hosts.get(hostId)!.port,
    waitFor(match, since = 0, timeoutMs = 15_000) {
      const found = events.slice(since).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `no matching mail event within ${timeoutMs} ms; saw:\n${events.map((e) => JSON.stringify(e)).join('\n')}`,
            ),
          );
        }, timeoutMs);
        const listener = (e: MailEvent) => {
          if (!match(e)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(e);
        };
        listeners.add(listener);
      });
    },
    async mailbox(hostId, address) {
      return mailboxMessages(dir, hostId, address);
    },
    async send(hostId, envelope, raw) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: net.port(hostId),
        secure: false,
        ignoreTLS: true,
        name: 'client.example.com',
      });
      try {
        const info = await transport.sendMail({ envelope, raw });
        return { response: info.response, accepted: info.accepted as string[] };
      } finally {
        transport.close();
      }
    },
    async close() {
      await sandbox.close();
      if (!stateDir) await rm(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => net.close(),
  };
  return net;
}

/** A short RFC 5322 message. */
export function message(from: string, to: string, subject: string, body = 'hello'): string {
  return `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@client.example.com>\r\n\r\n${body}\r\n`;
}

/** Header values of every Received field, top first. */
export function receivedBy(mail: ParsedMail): string[] {
  const value = mail.headers.get('received');
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.map((v) => /\bby\s+(\S+)/.exec(String(v as string))?.[1] ?? '?');
}
