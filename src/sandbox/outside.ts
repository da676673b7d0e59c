/**
 * Domains outside the plan in the sandbox (engine.ts OutsideDomain): verify's receiver, and
 * whatever else the caller takes mail for.
 *
 * DNS: each domain is a zone of its own (kind `outside`), served by the sandbox's responder beside
 * the plan's zones and never written to a zone file: MX 10 mx.<domain>, and that exchange (and
 * the zone's name server) at addresses no planned host or name server has, one IPv4 from the
 * benchmarking network (RFC 2544, 198.18.0.0/15) and one IPv6 from the documentation prefix
 * (RFC 3849).
 *
 * Reaching it, and who is calling. On loopback every relay connects from 127.0.0.1, so the
 * receiver could not tell which planned host a message came from, and its SPF check would judge
 * 127.0.0.1. So each host dials an outside address through a forwarder of its own (one loopback
 * listener per host and outside address), which connects on to the caller's endpoint and notes
 * the local port of that connection. `sourceOf` turns the remote port the caller's listener
 * sees back into the planned address of the host that dialled: its first address of the family
 * it dialled, the one a real host would connect from.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { sortRecords } from '../dns/order.js';
import type { ResourceRecord, Zone } from '../dns/records.js';
import { canonicalIP, familyOf } from '../topology/ip.js';
import { canonicalName, isInZone } from '../topology/names.js';
import type { Host, Plan } from '../topology/types.js';
import type { Endpoint, OutsideDomain, OutsideExchange } from './engine.js';

const LOOPBACK = '127.0.0.1';
const TTL = 300;

export interface OutsideNetwork {
  readonly exchanges: readonly OutsideExchange[];
  /** The zones to serve beside the plan's. */
  readonly zones: readonly Zone[];
  /** Where `host` dials an outside address: its own forwarder; undefined for any other address. */
  endpointFor(host: Host, address: string): Endpoint | undefined;
  /** The planned address behind a connection the caller's listener took from `remote`. */
  sourceOf(remote: Endpoint): string | undefined;
  close(): Promise<void>;
}

export async function startOutside(plan: Plan, domains: readonly OutsideDomain[]): Promise<OutsideNetwork> {
  const taken = plannedAddresses(plan);
  const free = (candidates: Generator<string>) => {
    for (const address of candidates) if (!taken.has(address)) return (taken.add(address), address);
    throw new Error('no free outside address');
  };
  const exchanges: (OutsideExchange & { endpoint: Endpoint })[] = domains.map(({ domain, endpoint }) => {
    const name = outsideDomainName(plan, domain);
    return {
      domain: name,
      exchange: exchangeOf(name),
      addresses: [free(benchmarkingV4()), free(documentationV6())],
      endpoint,
    };
  });

  const links = new CallerLinks();
  const servers: Server[] = [];
  /** By host id, then outside address. */
  const forwarders = new Map<string, Map<string, Endpoint>>();
  try {
    for (const host of plan.hosts.values()) {
      const mine = new Map<string, Endpoint>();
      forwarders.set(host.id, mine);
      for (const exchange of exchanges)
        for (const address of exchange.addresses) {
          const source = (familyOf(address) === 4 ? host.ipv4 : host.ipv6)[0];
          if (source === undefined) continue; // a host cannot dial a family it has no address in
          const server = createServer((client) => links.join(client, exchange.endpoint, source));
          servers.push(server);
          mine.set(address, await listening(server));
        }
    }
  } catch (error) {
    await closeAll(servers, links);
    throw error;
  }

  return {
    exchanges: exchanges.map(({ domain, exchange, addresses }) => ({ domain, exchange, addresses })),
    zones: exchanges.map(outsideZone),
    endpointFor: (host, address) => forwarders.get(host.id)?.get(canonicalIP(address)),
    sourceOf: (remote) => links.sourceOf(remote),
    close: () => closeAll(servers, links),
  };
}

/**
 * An outside domain's name, canonical, once it is known to lie inside no zone of the plan (nor
 * hold one): the caller's mistake otherwise (verify picks a free name), nothing a user can change.
 */
export function outsideDomainName(plan: Plan, domain: string): string {
  const name = canonicalName(domain);
  const zone = planZones(plan).find((z) => isInZone(name, z) || isInZone(z, name));
  if (zone) throw new Error(`outside domain ${name} overlaps the plan's zone ${zone}`);
  return name;
}

/** The MX target an engine publishes for an outside domain. */
export function exchangeOf(domain: string): string {
  return `mx.${domain}`;
}

/**
 * Connections from the plan's hosts to an outside domain's exchange, each joined on to the
 * caller's endpoint, with the planned address behind it noted by the local port of the onward
 * connection: the remote port the caller's listener sees, so `sourceOf` names the host.
 */
export class CallerLinks {
  private readonly sources = new Map<number, string>();
  private readonly sockets = new Set<Socket>();

  /** Joins `client` (a host's connection, paused or not yet read) on to `upstream`, as coming from `source`. */
  join(client: Socket, upstream: Endpoint, source: string): void {
    const onward = connect(upstream.port, upstream.host);
    let port: number | undefined;
    const end = () => {
      if (port !== undefined) this.sources.delete(port);
      client.destroy();
      onward.destroy();
      this.sockets.delete(client);
      this.sockets.delete(onward);
    };
    this.sockets.add(client);
    this.sockets.add(onward);
    for (const socket of [client, onward]) {
      socket.setNoDelay(true);
      socket.on('error', end);
      socket.on('close', end);
    }
    // Noted before a byte flows either way: the caller's listener asks only once the client speaks.
    onward.once('connect', () => {
      port = onward.localPort!;
      this.sources.set(port, source);
      client.pipe(onward);
      onward.pipe(client);
    });
  }

  /** The planned address behind a connection the caller's listener took from `remote`. */
  sourceOf(remote: Endpoint): string | undefined {
    return remote.host === LOOPBACK ? this.sources.get(remote.port) : undefined;
  }

  /** Ends every joined connection. */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.sources.clear();
  }
}

function listening(server: Server): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({ host: LOOPBACK, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

async function closeAll(servers: readonly Server[], links: CallerLinks): Promise<void> {
  links.close();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

/** An outside domain's zone: SOA, NS, MX, and the addresses of its exchange and name server. */
export function outsideZone({ domain, exchange, addresses }: OutsideExchange): Zone {
  const ns = `ns.${domain}`;
  const records: ResourceRecord[] = [
    {
      name: domain,
      type: 'SOA',
      ttl: TTL,
      data: {
        mname: ns,
        rname: `hostmaster.${domain}`,
        serial: 1,
        refresh: 3600,
        retry: 600,
        expire: 604800,
        minimum: TTL,
      },
    },
    { name: domain, type: 'NS', ttl: TTL, data: ns },
    { name: domain, type: 'MX', ttl: TTL, data: { preference: 10, exchange } },
    ...[exchange, ns].flatMap((name) =>
      addresses.map((address): ResourceRecord => ({
        name,
        type: familyOf(address) === 4 ? 'A' : 'AAAA',
        ttl: TTL,
        data: address,
      })),
    ),
  ];
  return { origin: domain, kind: 'outside', records: sortRecords(records) };
}

function plannedAddresses(plan: Plan): Set<string> {
  const addresses = new Set<string>();
  for (const host of plan.hosts.values()) for (const a of [...host.ipv4, ...host.ipv6]) addresses.add(canonicalIP(a));
  for (const ns of plan.nameservers) for (const a of [...ns.ipv4, ...ns.ipv6]) addresses.add(canonicalIP(a));
  return addresses;
}

/** The zones the plan serves (mail domains, `zones:`, reverse zones). */
function planZones(plan: Plan): string[] {
  return [...plan.domains.keys(), ...plan.zones.map((z) => z.name), ...plan.reverse.map((r) => r.zone)];
}

function* benchmarkingV4(): Generator<string> {
  for (let i = 25; i < 256 * 2; i++) yield `198.${18 + (i >> 8)}.0.${i & 255}`;
}

function* documentationV6(): Generator<string> {
  for (let i = 0x25; i < 0x10000; i++) yield canonicalIP(`2001:db8:ffff::${i.toString(16)}`);
}
