/**
 * One planned host's relay, running, with everything it could hand mail to replaced by recording
 * sinks (smtp-server instances that accept anything), so what it does with each address can be
 * seen from outside:
 *
 * - refused at RCPT, with which reply (a raw SMTP session, RCPT after RCPT);
 * - delivered here: a 'delivered' event to its Maildir;
 * - forwarded to host H: the message arrives at H's planned address, dialled without DNS;
 * - relayed through the MX: the message arrives at the address DNS gave for an MX host. The
 *   resolver answers the real responder's MX records, but gives every planned host's name an
 *   address of its own (127.77.0.N) in place of the planned one, so a hop through DNS and a hop
 *   by the transport map reach different sinks; domains outside the plan get one MX, an outside
 *   sink;
 * - bounced: the DSN that reaches the sender, read per recipient (RFC 3464 fields).
 *
 * Nothing here reads the routing layer: the relay's behaviour is observed, not asked for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { deriveZones } from '../../../src/dns/derive.js';
import { startDnsServer, type DnsServer } from '../../../src/dns/server.js';
import type { Connector, Endpoint } from '../../../src/mail/connector.js';
import type { MailEvent } from '../../../src/mail/events.js';
import { startRelay, type Relay } from '../../../src/mail/relay.js';
import { caresResolver, type MailResolver } from '../../../src/mail/resolver.js';
import type { Plan } from '../../../src/topology/types.js';
import { RawSmtp } from '../../mail/support/raw-smtp.js';

/** The envelope sender of every probe: outside the plan, so its DSNs reach the outside sink. */
export const PROBE_SENDER = 'probe@outside.test';
const OUTSIDE_MX = 'mx.outside.test';
const OUTSIDE_ADDRESS = '127.77.1.1';

/** Where a message left the relay for. */
export type Exit = { kind: 'host'; hostId: string } | { kind: 'mx'; hostId: string } | { kind: 'outside' };

export interface Arrival {
  readonly exit: Exit;
  readonly probe: number;
  readonly recipients: readonly string[];
}

export interface Probe {
  readonly probe: number;
  /** At most 100 (one transaction). */
  readonly recipients: readonly string[];
}

export interface Bounce {
  /** The queue id of the message that bounced. */
  readonly queueId: string;
  readonly recipient: string;
  /** "550 5.1.1". */
  readonly reply: string;
}

interface Sink {
  readonly port: number;
  close(): Promise<void>;
}

/** DNS for the plan: its zones from mxplan's responder, planned hosts and the outside rewritten as above. */
class ProbeResolver implements MailResolver {
  constructor(
    private readonly real: MailResolver,
    private readonly plan: Plan,
    private readonly viaDns: ReadonlyMap<string, string>,
  ) {}

  resolveMx(domain: string) {
    return this.plan.domains.has(domain)
      ? this.real.resolveMx(domain)
      : Promise.resolve([{ exchange: OUTSIDE_MX, priority: 10 }]);
  }
  resolve4(name: string) {
    const rewritten = name === OUTSIDE_MX ? OUTSIDE_ADDRESS : this.viaDns.get(name);
    return rewritten ? Promise.resolve([rewritten]) : this.real.resolve4(name);
  }
  resolve6(name: string) {
    return name === OUTSIDE_MX || this.viaDns.has(name) ? Promise.resolve([]) : this.real.resolve6(name);
  }
}

export interface ObservedRelay extends AsyncDisposable {
  readonly relay: Relay;
  readonly stateDir: string;
  readonly events: readonly MailEvent[];
  readonly arrivals: readonly Arrival[];
  readonly bounces: readonly Bounce[];
  /** The reply to RCPT TO for each address, in one session ("250 2.1.5 Accepted", "550 5.1.1 ..."). */
  rcpt(addresses: readonly string[]): Promise<Map<string, string>>;
  /** One message per probe, marked with its number; resolves with their queue ids once all are accepted. */
  send(probes: readonly Probe[]): Promise<Map<number, string>>;
  /** Resolves when the relay's queue is empty (everything delivered or bounced, the DSNs too). */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function observeRelay(plan: Plan, hostId: string, dns: DnsServer): Promise<ObservedRelay> {
  // Routing, not durability, is under test: on tmpfs the thousands of Maildir syncs cost nothing.
  const stateDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'mxplan-routing-'));
  const arrivals: Arrival[] = [];
  const bounces: Bounce[] = [];
  const events: MailEvent[] = [];
  const sinks: Sink[] = [];
  const endpoints = new Map<string, Endpoint>();
  const viaDns = new Map<string, string>();
  const sinkFor = async (exit: Exit) => {
    const sink = await startSink(exit, arrivals, bounces);
    sinks.push(sink);
    return { host: '127.0.0.1', port: sink.port };
  };
  try {
    let n = 0;
    for (const host of plan.hosts.values()) {
      const direct = await sinkFor({ kind: 'host', hostId: host.id });
      for (const address of [...host.ipv4, ...host.ipv6]) endpoints.set(address, direct);
      const synthetic = `127.77.0.${++n}`;
      viaDns.set(host.fqdn, synthetic);
      endpoints.set(synthetic, await sinkFor({ kind: 'mx', hostId: host.id }));
    }
    endpoints.set(OUTSIDE_ADDRESS, await sinkFor({ kind: 'outside' }));
    const connector: Connector = { endpointFor: (address) => endpoints.get(address) };
    const relay = await startRelay({
      plan,
      hostId,
      stateDir,
      resolver: new ProbeResolver(caresResolver({ address: dns.address, port: dns.port }), plan, viaDns),
      connector,
      profile: 'fast',
      listen: { address: '127.0.0.1', port: 0 },
      log: (event) => events.push(event),
    });
    const close = async () => {
      await relay.stop({ abrupt: true });
      await Promise.all(sinks.map((s) => s.close()));
      await rm(stateDir, { recursive: true, force: true });
    };
    return {
      relay,
      stateDir,
      events,
      arrivals,
      bounces,
      rcpt: (addresses) => rcptReplies(relay.port, addresses),
      send: (probes) => sendProbes(relay.port, probes),
      async settled(timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        while (relay.queued() > 0) {
          if (Date.now() > deadline) throw new Error(`${hostId}: ${relay.queued()} messages still queued`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await Promise.all(sinks.map((s) => s.close()));
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** The plan's zones, served as the relays would read them. */
export function startPlanDns(plan: Plan): Promise<DnsServer> {
  return startDnsServer({ zones: deriveZones(plan, { serial: 1 }), address: '127.0.0.1', port: 0 });
}

/** RCPT after RCPT in pipelined batches, each in a fresh transaction (a transaction takes at most 100). */
async function rcptReplies(port: number, addresses: readonly string[]): Promise<Map<string, string>> {
  const replies = new Map<string, string>();
  const { smtp } = await RawSmtp.connect(port);
  try {
    await smtp.command('EHLO probe.outside.test');
    for (let i = 0; i < addresses.length; i += 50) {
      const batch = addresses.slice(i, i + 50);
      smtp.write(['RSET', `MAIL FROM:<${PROBE_SENDER}>`, ...batch.map((a) => `RCPT TO:<${a}>`), ''].join('\r\n'));
      await smtp.reply();
      await smtp.reply();
      for (const address of batch) replies.set(address, await smtp.reply());
    }
    await smtp.command('QUIT');
  } finally {
    smtp.close();
  }
  return replies;
}

/** Each message in a transaction of its own, over a few sessions side by side; returns the queue ids by probe. */
async function sendProbes(port: number, probes: readonly Probe[], sessions = 4): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  let next = 0;
  const session = async () => {
    const { smtp } = await RawSmtp.connect(port);
    try {
      await smtp.command('EHLO probe.outside.test');
      for (let probe = probes[next++]; probe; probe = probes[next++]) ids.set(probe.probe, await sendOne(smtp, probe));
      await smtp.command('QUIT');
    } finally {
      smtp.close();
    }
  };
  await Promise.all(Array.from({ length: sessions }, session));
  return ids;
}

async function sendOne(smtp: RawSmtp, { probe, recipients }: Probe): Promise<string> {
  smtp.write([`MAIL FROM:<${PROBE_SENDER}>`, ...recipients.map((r) => `RCPT TO:<${r}>`), 'DATA', ''].join('\r\n'));
  for (let i = 0; i < recipients.length + 2; i++) {
    const reply = await smtp.reply();
    if (!/^(250|354)/.test(reply)) throw new Error(`probe ${probe}: ${reply}`);
  }
  smtp.write(`X-Probe: ${probe}\r\nSubject: probe ${probe}\r\n\r\nrouting probe\r\n.\r\n`);
  const reply = await smtp.reply();
  const id = /^250 \S+ Ok: (?:queued|delivered) as (\w+)/.exec(reply)?.[1];
  if (!id) throw new Error(`probe ${probe}: ${reply}`);
  return id;
}

/** Accepts everything; records probes by their X-Probe header, and DSNs by their per-recipient fields. */
async function startSink(exit: Exit, arrivals: Arrival[], bounces: Bounce[]): Promise<Sink> {
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const header = text.slice(0, text.indexOf('\r\n\r\n'));
        const probe = /^X-Probe: (\d+)\r?$/m.exec(header)?.[1];
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        if (probe) arrivals.push({ exit, probe: Number(probe), recipients });
        else if (/^Content-Type: multipart\/report/m.test(header)) bounces.push(...dsnFailures(text));
        else arrivals.push({ exit, probe: -1, recipients });
        callback(null, 'Ok');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** RFC 3464 §2.3: one block per failed recipient in the message/delivery-status part. */
function dsnFailures(dsn: string): Bounce[] {
  const queueId = /^X-Mxplan-Queue-ID: (\S+)\r?$/m.exec(dsn)?.[1] ?? '?';
  const failures: Bounce[] = [];
  const block = /^Final-Recipient: rfc822; (\S+)\r\n(?:[^\r\n]+\r\n)*?Diagnostic-Code: smtp; (\d{3} \d\.\d+\.\d+)/gm;
  for (let m = block.exec(dsn); m; m = block.exec(dsn)) failures.push({ queueId, recipient: m[1]!, reply: m[2]! });
  return failures;
}
