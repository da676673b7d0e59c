/**
 * The plan, running: mxplan's authoritative responder serving the plan's zones, and one SMTP
 * relay per planned host, all on loopback.
 *
 * Address mapping. The responder serves the plan's records unchanged, so what is tested is what
 * gets deployed: an MX lookup through the responder yields the planned names and the planned
 * addresses (192.0.2.10). Each relay listens on 127.0.0.1 with a port of its own, and an address
 * book maps every planned address of a host to that endpoint. Relays (and verify) dial through
 * the book and never dial anything else, so nothing leaves loopback, IPv6-only hosts work the
 * same as IPv4 ones, and no 127.x aliases or privileges are needed. A tool outside mxplan finds
 * the endpoints in <stateDir>/endpoints.json.
 *
 * A relay reaches only the address families it has itself (an IPv4-only host cannot connect to
 * an IPv6-only one), as on the real network; the sandbox's own senders reach every family.
 *
 * A host is taken down by stopping its relay (its port then refuses connections, as a dead host
 * would) and brought back on the same port, resuming its queue from the state directory.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveZones } from '../dns/derive.js';
import { startDnsServer, type DnsServer } from '../dns/server.js';
import { UnknownNameError } from '../errors.js';
import type { Clock } from '../mail/clock.js';
import { AddressBook, type Connector } from '../mail/connector.js';
import type { MailLog } from '../mail/events.js';
import type { ProfileName, ProfileOverrides } from '../mail/profiles.js';
import { startRelay, type Relay } from '../mail/relay.js';
import { caresResolver, type MailResolver } from '../mail/resolver.js';
import { familyOf } from '../topology/ip.js';
import type { Host, Plan } from '../topology/types.js';

export const LOOPBACK = '127.0.0.1';

export interface SandboxOptions {
  readonly plan: Plan;
  readonly stateDir: string;
  readonly profile?: ProfileName;
  /** Port of the DNS responder; 0 (the default) picks one. */
  readonly dnsPort?: number;
  readonly log?: MailLog;
  readonly clock?: Clock;
  readonly overrides?: ProfileOverrides;
  /** The hosts that start up; the others begin down (default: every planned host). */
  readonly start?: readonly string[];
  /** Settings of particular hosts' relays; their `overrides` apply over the sandbox's. */
  readonly relays?: Readonly<Record<string, RelaySettings>>;
}

export interface RelaySettings {
  readonly maxMessageSize?: number;
  readonly maxRecipients?: number;
  readonly overrides?: ProfileOverrides;
}

export interface HostEndpoint {
  readonly hostId: string;
  readonly fqdn: string;
  /** The planned addresses this endpoint stands in for. */
  readonly planned: readonly string[];
  readonly address: string;
  /** 0 for a host that has not been up yet (it gets a port when it first comes up, and keeps it). */
  readonly port: number;
}

export interface Sandbox extends AsyncDisposable {
  readonly plan: Plan;
  readonly stateDir: string;
  readonly dns: DnsServer;
  /** A real resolver (c-ares) that asks only the sandbox's responder. */
  readonly resolver: MailResolver;
  /** Planned address -> loopback endpoint, for anything that sends mail into the sandbox. */
  readonly addressBook: AddressBook;
  readonly hosts: ReadonlyMap<string, HostEndpoint>;
  /** The running relay of a host; undefined while it is down. */
  relay(hostId: string): Relay | undefined;
  isUp(hostId: string): boolean;
  /** Takes a host down: its relay stops and its port refuses connections. */
  down(hostId: string): Promise<void>;
  /** Brings a host back on the same port, resuming its queue. */
  up(hostId: string): Promise<void>;
  /** Every running relay retries its queue now, ignoring backoff. */
  retryNow(): void;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { plan, stateDir } = options;
  await mkdir(stateDir, { recursive: true });
  const dns = await startDnsServer({
    zones: deriveZones(plan, { serial: 1 }),
    address: LOOPBACK,
    port: options.dnsPort ?? 0,
  });
  const resolver = caresResolver({ address: dns.address, port: dns.port });
  const addressBook = new AddressBook();
  const relays = new Map<string, Relay>();
  const hosts = new Map<string, HostEndpoint>();

  const launch = (hostId: string, port: number) => {
    const settings = options.relays?.[hostId] ?? {};
    const overrides = { ...options.overrides, ...settings.overrides };
    return startRelay({
      plan,
      hostId,
      stateDir,
      resolver,
      connector: familiesOf(plan.hosts.get(hostId)!, addressBook),
      profile: options.profile ?? 'fast',
      listen: { address: LOOPBACK, port },
      ...(options.log && { log: options.log }),
      ...(options.clock && { clock: options.clock }),
      ...(Object.keys(overrides).length > 0 && { overrides }),
      ...(settings.maxMessageSize !== undefined && { maxMessageSize: settings.maxMessageSize }),
      ...(settings.maxRecipients !== undefined && { maxRecipients: settings.maxRecipients }),
    });
  };

  /** Starts a host's relay; the first time, its port is chosen and entered in the address book. */
  const bringUp = async (host: Host, port: number) => {
    const relay = await launch(host.id, port);
    relays.set(host.id, relay);
    if (port === 0) {
      const planned = [...host.ipv4, ...host.ipv6];
      for (const address of planned) addressBook.set(address, { host: LOOPBACK, port: relay.port });
      hosts.set(host.id, { hostId: host.id, fqdn: host.fqdn, planned, address: LOOPBACK, port: relay.port });
    }
  };

  const starting = new Set(options.start ?? plan.hosts.keys());
  try {
    for (const id of [...starting, ...Object.keys(options.relays ?? {})])
      if (!plan.hosts.has(id)) throw new UnknownNameError(`no planned host "${id}"`);
    for (const host of plan.hosts.values()) {
      if (starting.has(host.id)) await bringUp(host, 0);
      else
        hosts.set(host.id, {
          hostId: host.id,
          fqdn: host.fqdn,
          planned: [...host.ipv4, ...host.ipv6],
          address: LOOPBACK,
          port: 0,
        });
    }
    await writeEndpoints(stateDir, dns, hosts);
  } catch (error) {
    await Promise.allSettled([...relays.values()].map((r) => r.stop()));
    await dns.close();
    throw error;
  }

  const known = (hostId: string) => {
    const endpoint = hosts.get(hostId);
    if (!endpoint) throw new UnknownNameError(`no planned host "${hostId}"`);
    return endpoint;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Every host stops at once, so nobody is left to finish a session with: cut them. What was
      // acknowledged is on disk; what was not, its sender still holds.
      await Promise.allSettled([...relays.values()].map((r) => r.stop({ abrupt: true })));
      relays.clear();
      await dns.close();
    })());

  return {
    plan,
    stateDir,
    dns,
    resolver,
    addressBook,
    hosts,
    relay: (hostId) => relays.get(hostId),
    isUp: (hostId) => relays.has(hostId),
    async down(hostId) {
      known(hostId);
      const relay = relays.get(hostId);
      relays.delete(hostId);
      await relay?.stop({ abrupt: true });
    },
    async up(hostId) {
      const endpoint = known(hostId);
      if (relays.has(hostId)) return;
      await bringUp(plan.hosts.get(hostId)!, endpoint.port);
      if (endpoint.port === 0) await writeEndpoints(stateDir, dns, hosts);
    },
    retryNow() {
      for (const relay of relays.values()) relay.retryNow();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The address book as `host` sees it: only the address families it has an address in. */
function familiesOf(host: Host, book: Connector): Connector {
  const families = new Set([...host.ipv4, ...host.ipv6].map(familyOf));
  return {
    endpointFor: (address) => (families.has(familyOf(address)) ? book.endpointFor(address) : undefined),
    whyUnreachable: (address) =>
      families.has(familyOf(address)) ? undefined : `${host.id} has no IPv${familyOf(address)} address`,
  };
}

/** <stateDir>/endpoints.json, written whole (temporary file, then rename). */
async function writeEndpoints(
  stateDir: string,
  dns: DnsServer,
  hosts: ReadonlyMap<string, HostEndpoint>,
): Promise<void> {
  const body = {
    dns: { address: dns.address, port: dns.port },
    hosts: Object.fromEntries(
      [...hosts.values()].map((h) => [
        h.hostId,
        { fqdn: h.fqdn, planned: h.planned, address: h.address, port: h.port },
      ]),
    ),
  };
  const file = join(stateDir, 'endpoints.json');
  await writeFile(`${file}.tmp`, JSON.stringify(body, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}
