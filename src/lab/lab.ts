/**
 * The lab: the plan at its planned addresses, in network namespaces, as an engine of the
 * contract (src/sandbox/engine.ts). What runs there is chosen: the mail of every host by
 * mxplan's relays or by Postfix and Dovecot (mta.ts), DNS at every planned name server address
 * by mxplan's responder or by BIND, NSD or Knot (name-servers.ts).
 *
 *   switch ─┬─ host-<id> ...     planned addresses, port 25 (and Dovecot's 143, 110)
 *           ├─ dns-<name> ...    planned name server addresses, port 53
 *           └─ outside           203.0.113.1, 3fff::1: verify's sender, a receiver for outbound mail;
 *                                .25, ::25, ...: the exchanges of the caller's outside domains
 *
 * The caller (verify, the CLI) stays in the root namespace, which the lab never changes and from
 * which nothing dials a lab address. It reaches the lab through sockets opened in the outside
 * namespace by a helper there and handed over (sockets.ts): `connector.dial` opens a connection
 * to a planned host exactly as an Internet MTA would, so a refusal or a timeout is the host's
 * own. Clients that take only an address and a port get loopback forwarders (forward.ts): the
 * DNS endpoint (c-ares), one per planned address (endpoints.json, for a person's swaks), IMAP and
 * POP3 per store. The caller's domains outside the plan (verify's receiver) are served by the
 * plan's name servers at exchanges in the outside namespace, whose connections are joined on to
 * the caller's listener (outside-domains.ts).
 *
 * TLS, as in the loopback sandbox: a throwaway CA per state directory issues every planned host
 * and web host a certificate (src/tls/plan-subjects.ts). The relays offer STARTTLS with theirs;
 * Postfix and Dovecot read theirs at the paths `mxplan mta` names, pointed at <state>/tls/. Each
 * web host serves its MTA-STS policies over HTTPS at its planned addresses (web-helper.ts), with
 * a loopback forwarder per address for the contract's `endpointFor(address, 443)`; `tls` hands
 * clients the CA.
 *
 * Switching plans (a migration, `verify --from`), as the contract says and as the loopback
 * sandbox does (src/sandbox/plan-switch.ts decides what happens to each host): the new plan's
 * certificates from the same CA; each host only it has gets a namespace joined to the running
 * switch, routes and neighbours on every machine, and its MTA started, before anything routes
 * there; the hosts of both plans get `mxplan mta`'s files for it and a reload, together with the
 * name servers (the new zones, then each server's own reload, seen through by the new SOA
 * serials); a host whose name, HELO or addresses change restarts, its namespace moved to the new
 * addresses. Retired hosts run on until taken down. The name servers and web hosts stay as the lab
 * started them: a plan that moves them is refused (layout.ts).
 *
 * Every namespace carries a prefix naming this process (names.ts). They are removed by close(),
 * at process exit (synchronously, in an exit hook), by the CLI on Ctrl-C and SIGTERM
 * (teardownLabsNow), and by the next lab to start when this process has gone (cleanup.ts).
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { connectWithin, DIAL_LIMIT_MS } from '../connect.js';
import { ResourceError, UnknownNameError } from '../errors.js';
import type {
  Activity,
  ActivityListener,
  DialOptions,
  Endpoint,
  EngineFactory,
  EngineOptions,
  HostEndpoint,
  HostStatus,
  RunningPlan,
} from '../sandbox/engine.js';
import { dnsQueryOf, tellEach } from '../sandbox/listeners.js';
import { oneAtATime, PlanHistory } from '../sandbox/plan-switch.js';
import { inParallel } from '../parallel.js';
import type { Host, Plan, WebHost } from '../topology/types.js';
import { HTTPS_PORT } from '../mail/connector.js';
import { endpointsWriter } from '../sandbox/endpoints-file.js';
import { openPki } from '../tls/pki.js';
import { webSubject } from '../tls/plan-subjects.js';
import { canonicalIP } from '../topology/ip.js';
import { removeStaleLabs } from './cleanup.js';
import { LabError } from './exec.js';
import { dnsForwarder, LOOPBACK, tcpForwarder, type Forwarder, type Upstream } from './forward.js';
import { Helper } from './ipc.js';
import { DEFAULT_OUTSIDE, layLab, type LabLayout, type OutsideAddresses } from './layout.js';
import type { MtaChoice } from './choices.js';
import type { LabMta, MtaContext } from './mta.js';
import { labNames, newPrefix } from './names.js';
import type { DnsChoice } from './choices.js';
import { startNameServers } from './name-servers.js';
import { buildNetwork, type LabNetwork } from './network.js';
import { requireLabPlatform } from './platform.js';
import { startPostfix } from './postfix.js';
import { waitForZone } from './readiness.js';
import { startRelays } from './relays.js';
import { SMTP_PORT } from './relay-helper.js';
import { NamespaceSockets } from './sockets.js';
import { startOutsideDomains } from './outside-domains.js';
import { packPlan } from './plan-transfer.js';
import type { WebInit } from './web-helper.js';
import { outsideZone } from '../sandbox/outside.js';

export interface LabChoice {
  readonly mta: MtaChoice;
  readonly dns: DnsChoice;
  /** Where the outside namespace, the Internet, stands (default: TEST-NET-3 and 3fff::1). */
  readonly internet?: OutsideAddresses;
}

export interface LabOptions extends EngineOptions, LabChoice {
  /** Retry timing: `fast` (seconds: what verify needs; the default) or `default` (minutes to days). */
  readonly profile?: 'fast' | 'default';
}

export interface Lab extends RunningPlan {
  readonly stateDir: string;
  readonly layout: LabLayout;
  /** Every namespace of the lab, the switch first. */
  readonly namespaces: readonly string[];
  /** What runs the mail and what answers DNS, each for reports. */
  readonly mtaName: string;
  readonly dnsName: string;
  /** A loopback forwarder to each planned name server address. */
  readonly nameServers: ReadonlyMap<string, Endpoint>;
  /** Where the outside's receiver keeps the mail the plan's hosts sent to it (<root>/<domain>/<local>/). */
  readonly outsideMaildir: string;
  /** Each web host with an address: a loopback forwarder to its HTTPS (`port`) at its first planned address. */
  readonly web: ReadonlyMap<string, HostEndpoint>;
}

export function labEngine(choice: LabChoice): EngineFactory {
  return (options) => startLab({ ...options, ...choice });
}

/** Synchronous teardowns of the labs of this process, run at exit or by teardownLabsNow. */
const live = new Set<() => void>();
let exitHooked = false;

function atExit(teardown: () => void): () => void {
  live.add(teardown);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', teardownLabsNow);
  }
  return () => live.delete(teardown);
}

/** Removes every lab of this process now, synchronously: for a process about to end by a signal. */
export function teardownLabsNow(): void {
  for (const teardown of [...live]) {
    live.delete(teardown);
    teardown();
  }
}

export async function startLab(options: LabOptions): Promise<Lab> {
  requireLabPlatform();
  const { plan } = options;
  const stateDir = resolve(options.stateDir);
  await prepareStateDir(stateDir);
  await removeStaleLabs();
  const outsideDomains = options.outside ?? [];
  const layout = layLab(
    plan,
    labNames(newPrefix()),
    options.internet ?? DEFAULT_OUTSIDE,
    outsideDomains.map((d) => d.domain),
  );

  /** The plans run so far, host by host (a switch adds one). */
  const history = new PlanHistory(plan, stateDir);
  // Before any namespace exists: a certificate that cannot be had stops the lab with nothing to undo.
  let pki = await openPki(stateDir, history.tlsSubjects());

  const listeners = new Set<ActivityListener>();
  const emit = (activity: Activity) => tellEach(listeners, activity);
  const undo: (() => Promise<unknown>)[] = [];
  let network: LabNetwork | undefined;
  const unhook = atExit(() => network?.destroySync());
  const unwind = async () => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => {});
    await network?.destroy();
    unhook();
  };

  try {
    network = await buildNetwork(layout);
    const outside = await NamespaceSockets.start(layout.outside.namespace);
    undo.push(() => outside.stop());

    const callerLinks = await startOutsideDomains(plan, layout.exchanges, outsideDomains, outside);
    undo.push(async () => callerLinks.close());

    const dns = await startNameServers(options.dns, {
      plan,
      layout,
      stateDir,
      outsideZones: layout.exchanges.map(outsideZone),
    });
    undo.push(() => dns.stop());
    const upstream: Upstream = {
      udp: (family) => outside.udp(family),
      dial: (a, port) => outside.connect(a, port, 5000),
    };
    const nameServers = new Map<string, Endpoint>();
    const forwarders: Forwarder[] = [];
    undo.push(() => Promise.allSettled(forwarders.map((f) => f.close())));
    const probeZone = [...plan.domains.keys()][0] ?? plan.zones[0]?.name;
    for (const address of layout.nameServerAddresses) {
      const forwarder = await dnsForwarder(upstream, [address]);
      forwarders.push(forwarder);
      nameServers.set(address, forwarder.endpoint);
    }
    if (probeZone)
      await Promise.all(
        [...nameServers].map(([address, endpoint]) =>
          waitForZone(endpoint, probeZone, dns.alive, `${dns.name} at ${address}`),
        ),
      );
    const dnsMain = await dnsForwarder(upstream, layout.nameServerAddresses);
    forwarders.push(dnsMain);

    // The web hosts, before the mail: a host's first delivery under MTA-STS may fetch a policy.
    const packed = packPlan(plan);
    for (const [webId, machine] of layout.web) {
      const init: WebInit = { plan: packed, webId, identity: pki.identities.get(webSubject(webId))! };
      const helper = await Helper.start(machine.namespace, 'web', init);
      undo.push(() => helper.stop());
    }

    const context: MtaContext = {
      plan,
      layout,
      network,
      stateDir,
      outside,
      emit,
      get pki() {
        return pki;
      },
      earlierHosts: history.earlierHosts,
      profile: options.profile ?? 'fast',
      ...(options.queueLifetime !== undefined && { queueLifetime: options.queueLifetime }),
    };
    const mta: LabMta = options.mta === 'postfix' ? await startPostfix(context) : await startRelays(context);
    undo.push(() => mta.close());

    const outsideMaildir = join(stateDir, 'outside', 'maildir');
    await mkdir(outsideMaildir, { recursive: true });
    const receiver = await Helper.start(layout.outside.namespace, 'receiver', {
      name: 'mx.outside.invalid',
      addresses: [layout.outside.ipv4[0]!, layout.outside.ipv6[0]!],
      maildirRoot: outsideMaildir,
    });
    undo.push(() => receiver.stop());

    // One loopback forwarder per planned address and service port, reached from the outside:
    // port 25 of each mail host, 443 of each web host (endpointFor(address, 443): the MTA-STS
    // fetch). dial() opens the planned address and port behind a forwarder itself.
    const smtp = new Map<string, Forwarder>();
    const https = new Map<string, Forwarder>();
    const behind = new Map<number, { address: string; port: number }>();
    const forward = async (address: string, port: number, book: Map<string, Forwarder>) => {
      const forwarder = await tcpForwarder(() => outside.connect(address, port));
      forwarders.push(forwarder);
      book.set(canonicalIP(address), forwarder);
      behind.set(forwarder.endpoint.port, { address, port });
    };
    const hosts = new Map<string, HostEndpoint>();
    /** The host at each planned address (of every plan run: a retired host keeps its addresses). */
    const hostAt = new Map<string, string>();
    /** A host's endpoint, with a forwarder at each of its addresses that has none yet. */
    const place = async (host: Host) => {
      const planned = [...host.ipv4, ...host.ipv6];
      for (const address of planned) {
        const key = canonicalIP(address);
        hostAt.set(key, host.id);
        if (!smtp.has(key)) await forward(address, SMTP_PORT, smtp);
      }
      const first = smtp.get(canonicalIP(planned[0]!))!.endpoint;
      hosts.set(host.id, endpointOf(host, first, { smtp: first }));
    };
    /** The forwarders of addresses a host gives up (a switch moves it). */
    const unplace = async (before: Host, after: Host) => {
      const kept = new Set([...after.ipv4, ...after.ipv6].map(canonicalIP));
      for (const address of [...before.ipv4, ...before.ipv6].map(canonicalIP)) {
        const forwarder = smtp.get(address);
        if (kept.has(address) || !forwarder) continue;
        smtp.delete(address);
        hostAt.delete(address);
        behind.delete(forwarder.endpoint.port);
        forwarders.splice(forwarders.indexOf(forwarder), 1);
        await forwarder.close();
      }
    };
    for (const host of plan.hosts.values()) await place(host);

    const web = new Map<string, HostEndpoint>();
    for (const host of plan.web.values()) {
      if (!layout.web.has(host.id)) continue;
      // a web host's one service, HTTPS, is `port`: it has no mail services
      const planned = [...host.ipv4, ...host.ipv6];
      for (const address of planned) await forward(address, HTTPS_PORT, https);
      const first = https.get(canonicalIP(planned[0]!))!.endpoint;
      web.set(host.id, endpointOf(host, first, {}));
    }

    const statuses = new Map<string, HostStatus>([...plan.hosts.keys()].map((id) => [id, 'up']));
    const running = new Set(plan.hosts.keys());
    const cut = new Set<string>();
    const known = (hostId: string) => {
      if (!history.has(hostId)) throw new UnknownNameError(`no planned host "${hostId}"`);
      return hostId;
    };
    const setStatus = (hostId: string, status: HostStatus) => {
      if (statuses.get(hostId) === status) return;
      statuses.set(hostId, status);
      emit({ type: 'host', host: hostId, status });
    };
    const restoreLink = async (hostId: string) => {
      if (!cut.delete(hostId)) return;
      await network!.restore(layout.host(hostId));
    };

    let closed = false;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        closed = true;
        await unwind();
      })());

    // The lab has no log of its own: a full disk shows as endpoints.json missing until space returns.
    const endpoints = endpointsWriter(
      stateDir,
      { address: dnsMain.endpoint.host, port: dnsMain.endpoint.port },
      hosts,
      web,
      () => {},
    );
    undo.push(async () => endpoints.close());
    await endpoints.write();
    const writeLabJson = () =>
      writeFile(
        join(stateDir, 'lab.json'),
        `${JSON.stringify(
          {
            prefix: layout.names.prefix,
            mta: mta.name,
            dns: dns.name,
            namespaces: network!.namespaces,
            hosts: Object.fromEntries(history.hostIds().map((id) => [id, layout.host(id).namespace])),
            web: Object.fromEntries([...layout.web].map(([id, machine]) => [id, machine.namespace])),
            nameServers: Object.fromEntries([...nameServers].map(([a, e]) => [a, `${e.host}:${e.port}`])),
            outside: { namespace: layout.outside.namespace, ipv4: layout.outside.ipv4, ipv6: layout.outside.ipv6 },
            zones: dns.zoneDirectory,
          },
          null,
          2,
        )}\n`,
      );
    await writeLabJson();

    const switchPlan = async (next: Plan) => {
      if (closed) throw new ResourceError('the lab is closed: it switches to no other plan');
      const retired = history
        .hostIds()
        .filter((id) => !next.hosts.has(id))
        .map((id) => history.hostOf(id));
      // What the lab cannot do is refused here, before anything changes (layout.ts).
      const change = layout.switchTo(history.current, next, retired);
      const steps = history.begin(next);
      pki = await openPki(stateDir, history.tlsSubjects());
      // The new hosts first, as a migration's add step has them: up before anything routes there.
      await network!.join(change.added);
      for (const host of steps.added) {
        history.assign(host.id, next);
        statuses.set(host.id, 'down');
        await mta.configure(host.id, next);
        await mta.start(host.id);
        running.add(host.id);
        await place(host);
        setStatus(host.id, 'up');
      }
      // Then every other host of the new plan and the zones, together: `mxplan mta`'s files and
      // a reload on each host (one that is down or cut comes up under them), the new zones and a
      // reload on each name server.
      const [serials] = await Promise.all([
        dns.switchZones(next),
        ...steps.reloaded.map(async (host) => {
          history.assign(host.id, next);
          await mta.configure(host.id, next);
          if (running.has(host.id)) await mta.reload(host.id);
          await place(host);
        }),
      ]);
      history.current = next;
      // Every name server address answers from the new zones before the switch is done.
      const checks = [...nameServers].flatMap(([address, endpoint]) =>
        [...serials].map(([zone, serial]) => ({ address, endpoint, zone, serial })),
      );
      await inParallel(checks, 16, (c) =>
        waitForZone(c.endpoint, c.zone, dns.alive, `${dns.name} at ${c.address}`, c.serial),
      );
      // A new name, HELO or address needs a restart (Postfix reads inet_interfaces and myhostname at start).
      for (const host of steps.restarted) {
        const before = history.hostOf(host.id);
        const wasRunning = running.delete(host.id);
        if (wasRunning) await mta.stop(host.id);
        const moved = change.moved.find((m) => m.after.hostId === host.id);
        if (moved) await network!.readdress(moved.before, moved.after);
        history.assign(host.id, next);
        await mta.configure(host.id, next);
        await unplace(before, host);
        await place(host);
        if (wasRunning) {
          await mta.start(host.id, { linkUp: !cut.has(host.id) });
          running.add(host.id);
        }
      }
      await endpoints.write();
      await writeLabJson();
    };

    const lab: Lab = {
      name: `${mta.name}, ${dns.name}, in network namespaces at the planned addresses`,
      mtaName: mta.name,
      dnsName: dns.name,
      get plan() {
        return history.current;
      },
      stateDir,
      layout,
      namespaces: network.namespaces,
      nameServers,
      outsideMaildir,
      web,
      dns: { address: dnsMain.endpoint.host, port: dnsMain.endpoint.port },
      outside: layout.exchanges,
      connector: {
        // The peer the outside's listener saw, when it is a planned host's.
        sourceOf: (remote) => {
          const source = callerLinks.sourceOf(remote);
          return source !== undefined && hostAt.has(source) ? source : undefined;
        },
        endpointFor: (address, port = SMTP_PORT) =>
          (port === SMTP_PORT ? smtp : port === HTTPS_PORT ? https : undefined)?.get(canonicalIP(address))?.endpoint,
        dial(endpoint: Endpoint, dialOptions: DialOptions = {}): Promise<Socket> {
          const target = endpoint.host === LOOPBACK ? behind.get(endpoint.port) : undefined;
          // Once closed, or for an endpoint with no planned address behind it, the endpoint is all there is.
          if (closed || target === undefined) return connectWithin(endpoint, dialOptions.timeoutMs ?? DIAL_LIMIT_MS);
          return outside.connect(target.address, target.port, dialOptions.timeoutMs);
        },
      },
      ...(mta.mailAccess && { mailAccess: mta.mailAccess }),
      tls: { ca: pki.ca },
      hosts,
      status: (hostId) => statuses.get(known(hostId))!,
      async down(hostId) {
        known(hostId);
        if (running.delete(hostId)) await mta.stop(hostId);
        await restoreLink(hostId);
        setStatus(hostId, 'down');
      },
      async cut(hostId) {
        known(hostId);
        if (!cut.has(hostId)) {
          await network!.cut(layout.host(hostId));
          cut.add(hostId);
        }
        setStatus(hostId, 'cut');
      },
      async up(hostId) {
        known(hostId);
        await restoreLink(hostId);
        if (!running.has(hostId)) {
          await mta.start(hostId);
          running.add(hostId);
        }
        setStatus(hostId, 'up');
      },
      // One switch at a time; one that failed does not stop the next.
      switchPlan: oneAtATime(switchPlan),
      async retryNow() {
        await Promise.allSettled([...statuses].filter(([, s]) => s === 'up').map(([id]) => mta.retry(id)));
      },
      async submit(hostId, envelope, message) {
        const status = statuses.get(known(hostId));
        if (status !== 'up') throw new ResourceError(`${hostId} is ${status}: it takes no submission until it is up`);
        return mta.submit(hostId, envelope, message);
      },
      async queued(hostId) {
        if (statuses.get(known(hostId)) !== 'up') return undefined;
        return mta.queued(hostId);
      },
      maildirRoot: (hostId) => mta.maildirRoot(known(hostId)),
      onActivity(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      onDnsQuery(listener) {
        // The host that asked, by the planned address it asked from.
        return dns.onQuery((entry) => {
          const address = /^\[?([^\]]+?)\]?:\d+$/.exec(entry.client)?.[1];
          tellEach([listener], dnsQueryOf(entry, address && hostAt.get(canonicalIP(address))));
        });
      },
      async settled({ quietMs, within }) {
        const deadline = Date.now() + within;
        for (;;) {
          const { lastMail, holding } = await mta.catchUp();
          if ((!holding && Date.now() - lastMail >= quietMs) || Date.now() >= deadline) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      close,
      [Symbol.asyncDispose]: close,
    };
    return lab;
  } catch (error) {
    await unwind();
    throw error;
  }
}

/**
 * The state directory, created, and reachable by the daemons' own users (postfix, dovecot,
 * vmail): each of its parents must let others through, and it is made traversable (0711).
 */
async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await chmod(stateDir, 0o711);
  for (let dir = dirname(stateDir); ; dir = dirname(dir)) {
    try {
      await access(dir, constants.X_OK);
    } catch {
      throw new LabError(`cannot use ${dir}`);
    }
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0)
      throw new LabError(
        `the lab's daemons run as their own users and cannot pass through ${dir} (mode ${(mode & 0o777).toString(8)}): put the state directory where others may pass`,
      );
    if (dir === dirname(dir)) break;
  }
}

/** A planned host's (or web host's) endpoint: its main service at `first`, for every planned address. */
function endpointOf(host: Host | WebHost, first: Endpoint, services: HostEndpoint['services']): HostEndpoint {
  return {
    hostId: host.id,
    fqdn: host.fqdn,
    planned: [...host.ipv4, ...host.ipv6],
    address: first.host,
    port: first.port,
    services,
  };
}
