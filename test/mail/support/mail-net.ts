/**
 * A small sandbox for the mail tests: the real DNS responder serving the plan's zones, a c-ares
 * resolver pointed at it, an address book, and one relay per host on 127.0.0.1:0. Hosts can be
 * stopped (their port then refuses connections) and started again on the same port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { deriveZones } from '../../../src/dns/derive.js';
import { startDnsServer, type DnsServer } from '../../../src/dns/server.js';
import { AddressBook } from '../../../src/mail/connector.js';
import type { MailEvent } from '../../../src/mail/events.js';
import { caresResolver, type MailResolver } from '../../../src/mail/resolver.js';
import { startRelay, type Relay, type RelayOptions } from '../../../src/mail/relay.js';
import type { Plan } from '../../../src/topology/types.js';
import { mailboxMessages } from '../../helpers/maildir.js';

export type RelayTweaks = Partial<Pick<RelayOptions, 'overrides' | 'maxMessageSize' | 'maxRecipients'>>;

export interface MailNet extends AsyncDisposable {
  readonly plan: Plan;
  readonly dns: DnsServer;
  readonly resolver: MailResolver;
  readonly book: AddressBook;
  readonly stateDir: string;
  readonly events: MailEvent[];
  readonly relays: Map<string, Relay>;
  start(hostId: string, tweaks?: RelayTweaks): Promise<Relay>;
  stop(hostId: string): Promise<void>;
  port(hostId: string): number;
  /** Resolves with the first event (from index `since` on) that matches. */
  waitFor(match: (e: MailEvent) => boolean, since?: number, timeoutMs?: number): Promise<MailEvent>;
  /** Messages in a mailbox on a host, parsed, oldest first. */
  mailbox(hostId: string, address: string): Promise<ParsedMail[]>;
  /** Sends with nodemailer's SMTP transport (a client nobody here wrote). */
  send(hostId: string, envelope: { from: string; to: string[] }, raw: string): Promise<{ response: string; accepted: string[] }>;
  close(): Promise<void>;
}

/** Quick retries, so a host that comes back is reached within a second. */
export const QUICK: RelayTweaks = { overrides: { firstRetry: 200, maxRetry: 800 } };

export async function startMailNet(plan: Plan, hosts: readonly string[], tweaks: Record<string, RelayTweaks> = {}, stateDir?: string): Promise<MailNet> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'mxplan-mail-')));
  const dns = await startDnsServer({ zones: deriveZones(plan), port: 0 });
  const resolver = caresResolver({ address: dns.address, port: dns.port }, { timeoutMs: 500, tries: 2 });
  const book = new AddressBook();
  const events: MailEvent[] = [];
  const listeners = new Set<(e: MailEvent) => void>();
  const relays = new Map<string, Relay>();
  const ports = new Map<string, number>();

  const net: MailNet = {
    plan,
    dns,
    resolver,
    book,
    stateDir: dir,
    events,
    relays,
    async start(hostId, extra = {}) {
      const host = plan.hosts.get(hostId)!;
      const relay = await startRelay({
        plan,
        hostId,
        stateDir: dir,
        resolver,
        connector: book,
        profile: 'fast',
        listen: { address: '127.0.0.1', port: ports.get(hostId) ?? 0 },
        log: (e) => {
          events.push(e);
          for (const l of listeners) l(e);
        },
        ...QUICK,
        ...tweaks[hostId],
        ...extra,
      });
      relays.set(hostId, relay);
      ports.set(hostId, relay.port);
      for (const address of [...host.ipv4, ...host.ipv6]) book.set(address, { host: '127.0.0.1', port: relay.port });
      return relay;
    },
    async stop(hostId) {
      await relays.get(hostId)?.stop();
      relays.delete(hostId);
    },
    port: (hostId) => ports.get(hostId)!,
    waitFor(match, since = 0, timeoutMs = 15_000) {
      const found = events.slice(since).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no matching mail event within ${timeoutMs} ms; saw:\n${events.map((e) => JSON.stringify(e)).join('\n')}`));
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
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: ports.get(hostId)!, secure: false, ignoreTLS: true, name: 'client.example.com' });
      try {
        const info = await transport.sendMail({ envelope, raw });
        return { response: info.response, accepted: info.accepted as string[] };
      } finally {
        transport.close();
      }
    },
    async close() {
      for (const relay of relays.values()) await relay.stop();
      relays.clear();
      await dns.close();
      if (!stateDir) await rm(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => net.close(),
  };
  for (const hostId of hosts) await net.start(hostId);
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
  return list.map((v) => /\bby\s+(\S+)/.exec(String(v))?.[1] ?? '?');
}
