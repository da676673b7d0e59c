/**
 * The plan, running: mxplan's authoritative responder serving the plan's zones, and one SMTP
 * relay per planned host, all on loopback. The built-in engine of the contract in engine.ts.
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
 * Domains outside the plan (verify's receiver) are served beside the plan's zones and reached
 * through per-host forwarders that tell the receiver which planned host is calling (outside.ts).
 *
 * A host is taken down by stopping its relay (its port then refuses connections, as a dead host
 * would), or cut off: its relay stops and its port is held by a listener that never answers, so
 * connections time out as through a dead link; the contract's `dial` makes no connection to it at
 * all, as a SYN through a dead link gets no answer. It comes back on the same port, resuming its
 * queue from the state directory.
 *
 * TLS. A throwaway CA per state directory issues each mail host and each web host a certificate
 * for its names (src/tls/pki.ts, in <stateDir>/tls/). Relays offer STARTTLS with theirs (unless
 * the profile has TLS off); each web host runs an HTTPS server that serves the MTA-STS policies
 * it hosts (policy-server.ts), entered in the address book at its planned addresses, port 443.
 * The contract's `tls` hands clients the CA.
 *
 * Switching to a new plan (a migration) reloads each running relay's policy in place, within one
 * turn of the event loop together with the responder's zones, so no host and no answer sees a mix
 * of the two plans; new hosts start first, retired ones keep their old plan to drain.
 *
 * Mail clients. Every store also runs a submission port (RFC 6409, mail/submission.ts) for the
 * users homed there, with the throwaway passwords of <stateDir>/passwords.json (passwords.ts).
 * Where Dovecot can run (dovecot/instance.ts: installed, and the sandbox not root), every store
 * runs one for IMAP and POP3 over the same Maildirs and passwords. Their ports are chosen like
 * the SMTP port (kept in ports.json by the caller) and are held or freed with it when the host
 * is cut or down.
 */
import { createServer, type Socket } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connectTimedOut, connectWithin, DIAL_LIMIT_MS } from '../connect.js';
import { deriveZones } from '../dns/derive.js';
import { startDnsServer, type LocalDnsServer } from '../dns/server.js';
import { ResourceError, UnknownNameError } from '../errors.js';
import type { Clock } from '../mail/clock.js';
import { EndpointBook, HTTPS_PORT, type Connector } from '../mail/connector.js';
import type { MailEvent, MailLog } from '../mail/events.js';
import type { ProfileName, ProfileOverrides } from '../mail/profiles.js';
import { startRelay, type Relay } from '../mail/relay.js';
import { caresResolver, type MailResolver } from '../mail/resolver.js';
import { hostLayout, tlsLayout } from '../state-layout.js';
import { openPki, type Pki, type TlsIdentity } from '../tls/pki.js';
import { hostSubject, webSubject } from '../tls/plan-subjects.js';
import { startPolicyServer, type PolicyServer } from './policy-server.js';
import { startOutside, type OutsideNetwork } from './outside.js';
import { familyOf } from '../topology/ip.js';
import type { Host, Plan } from '../topology/types.js';
import type {
  Activity,
  ActivityListener,
  DialOptions,
  DnsQueryListener,
  Endpoint,
  EngineFactory,
  HostEndpoint,
  HostStatus,
  MailProtocol,
  OutsideDomain,
  RunningPlan,
  ServiceName,
} from './engine.js';
import { dnsQueryOf, tellEach } from './listeners.js';
import { openPasswords, type Logins } from './passwords.js';
import { dovecotUnavailable, startDovecot, type DovecotInstance } from '../dovecot/instance.js';
import type { MtaPaths } from '../mta/paths.js';
import { endpointsWriter } from './endpoints-file.js';
import { oneAtATime, PlanHistory } from './plan-switch.js';

export type { HostEndpoint } from './engine.js';

export const LOOPBACK = '127.0.0.1';

export interface SandboxOptions {
  readonly plan: Plan;
  readonly stateDir: string;
  readonly profile?: ProfileName;
  /** Port of the DNS responder; 0 (the default) picks one. */
  readonly dnsPort?: number;
  /**
   * Each host's service ports (ports.ts keeps them across restarts); a service not named, or 0,
   * gets one when the host first comes up.
   */
  readonly ports?: Readonly<Record<string, Readonly<Partial<Record<ServiceName, number>>>>>;
  /** Each web host's HTTPS port, kept likewise; a web host not named, or 0, gets one at start. */
  readonly webPorts?: Readonly<Record<string, number>>;
  /** Every relay event, the lifecycle ones (listening, resumed, error) too: the sandbox's own log. */
  readonly log?: MailLog;
  readonly clock?: Clock;
  readonly overrides?: ProfileOverrides;
  /** The hosts that start up; the others begin down (default: every planned host). */
  readonly start?: readonly string[];
  /** Settings of particular hosts' relays; their `overrides` apply over the sandbox's. */
  readonly relays?: Readonly<Record<string, RelaySettings>>;
  /** The web hosts serve the MTA-STS policy files of this directory (`mxplan mta-sts`), not the plan's. */
  readonly policyDir?: string;
  /** Domains outside the plan whose mail the caller takes (outside.ts). */
  readonly outside?: readonly OutsideDomain[];
}

export interface RelaySettings {
  readonly maxMessageSize?: number;
  readonly maxRecipients?: number;
  readonly overrides?: ProfileOverrides;
  /** A certificate and key of the caller's instead of the one the sandbox's CA issues (a test's bad certificate). */
  readonly identity?: TlsIdentity;
}

export interface Sandbox extends RunningPlan {
  readonly stateDir: string;
  readonly dns: LocalDnsServer;
  /** A real resolver (c-ares) that asks only the sandbox's responder: the one the relays use. */
  readonly resolver: MailResolver;
  /** The CA and every host's certificate, with their files under <stateDir>/tls/. */
  readonly pki: Pki;
  /** Each web host's HTTPS endpoint on loopback. */
  readonly web: ReadonlyMap<string, HostEndpoint>;
  /** Planned address -> loopback endpoint (the contract's connector). */
  readonly endpointBook: EndpointBook;
  /** Every store user's throwaway password, as <stateDir>/passwords.json keeps them. */
  readonly passwords: Logins;
  /** The running relay of a host, for the sandbox's own tools and tests; undefined while it is not up. */
  relay(hostId: string): Relay | undefined;
  isUp(hostId: string): boolean;
}

/** The built-in engine as verify starts it: every host up, retries in seconds (the fast profile). */
export const builtinEngine: EngineFactory = ({ plan, stateDir, queueLifetime, outside }) =>
  startSandbox({
    plan,
    stateDir,
    profile: 'fast',
    ...(queueLifetime !== undefined && { overrides: { queueLifetime } }),
    ...(outside && { outside }),
  });

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { plan, stateDir } = options;
  await mkdir(stateDir, { recursive: true });
  /** The plans run so far, host by host (plan-switch.ts). */
  const history = new PlanHistory(plan, stateDir);
  /**
   * The loopback address each host's relay dials from, 127.0.1.n (Linux routes all of
   * 127.0.0.0/8 to lo): on one address for all, a store's per-client session cap would count
   * every host and verify's sender (127.0.0.1) as one client, and refuse what production takes.
   */
  const sources = new Map<string, string>();
  const sourceAddressOf = (hostId: string) => {
    let source = sources.get(hostId);
    if (!source)
      sources.set(hostId, (source = `127.0.${1 + Math.floor(sources.size / 250)}.${1 + (sources.size % 250)}`));
    return source;
  };
  /** The zones' serial under the current plan. */
  let serial = 1;
  const hostOf = (hostId: string) => history.hostOf(hostId);
  let pki = await openPki(stateDir, history.tlsSubjects());
  const passwords = await openPasswords(plan, stateDir);
  // The DNS query log, fanned out like the activity stream.
  const dnsListeners = new Set<DnsQueryListener>();
  const outside = await startOutside(plan, options.outside ?? []);
  let dns: LocalDnsServer;
  try {
    dns = await startDnsServer({
      // The outside domains' zones are served beside the plan's, never written with them.
      zones: [...deriveZones(plan, { serial }), ...outside.zones],
      address: LOOPBACK,
      port: options.dnsPort ?? 0,
      log: (entry) => {
        if (dnsListeners.size > 0) tellEach(dnsListeners, dnsQueryOf(entry));
      },
    });
  } catch (error) {
    await outside.close();
    throw error;
  }
  const resolver = caresResolver({ address: dns.address, port: dns.port });
  const endpointBook = new EndpointBook();
  const relays = new Map<string, Relay>();
  const dovecots = new Map<string, DovecotInstance>();
  const noDovecot = dovecotUnavailable();
  if (noDovecot && [...plan.hosts.values()].some((h) => h.role === 'store'))
    options.log?.({ type: 'error', host: '(sandbox)', message: `no IMAP or POP3 on the stores: ${noDovecot}` });
  const hosts = new Map<string, HostEndpoint>();
  const statuses = new Map<string, HostStatus>();
  /** The listeners holding the ports of cut hosts. */
  const holes = new Map<string, { close(): Promise<void> }[]>();
  /** Each host's service ports, once chosen (0: not yet). */
  const chosen = new Map<string, Partial<Record<ServiceName, number>>>();

  // The activity stream: every relay's events, fanned out.
  const listeners = new Set<ActivityListener>();
  const emit = (activity: Activity) => tellEach(listeners, activity);
  const log = (event: MailEvent) => {
    try {
      options.log?.(event);
    } catch {
      // nor the sandbox's own log
    }
    if (event.type !== 'listening' && event.type !== 'resumed' && event.type !== 'error') emit(event);
  };
  /** Dials to a cut host, waiting as a SYN behind a dead link waits: each wakes when the link is back (or the host stops). */
  const stalled = new Map<string, Set<() => void>>();
  const wakeStalled = (hostId: string) => {
    const waiting = stalled.get(hostId);
    stalled.delete(hostId);
    for (const wake of waiting ?? []) wake();
  };
  const setStatus = (hostId: string, status: HostStatus) => {
    const before = statuses.get(hostId);
    if (before === status) return;
    statuses.set(hostId, status);
    if (before === 'cut') wakeStalled(hostId);
    emit({ type: 'host', host: hostId, status });
  };
  /**
   * The contract's dial, as a caller outside the plan meets a host: a cut host's link is down, so
   * the connection is never made (its SYN is never answered) and fails once `timeoutMs` has
   * passed, unless the host comes back first (a retransmitted SYN then gets its answer). The
   * silent listener on a cut host's port is for the relays and for tools that dial it directly:
   * there a cut shows only once a greeting does not come, which a loaded relay may also be slow
   * to send; a connection, by contrast, is made by the kernel whatever the relay's load.
   */
  /** The cut host listening at `endpoint`, if any: every send asks, and few hosts are ever cut. */
  const cutHostAt = (endpoint: Endpoint): string | undefined => {
    for (const [hostId, status] of statuses) {
      if (status !== 'cut') continue;
      const services = Object.values(hosts.get(hostId)?.services ?? {});
      if (services.some((s) => s.host === endpoint.host && s.port === endpoint.port)) return hostId;
    }
    return undefined;
  };
  const dial = (endpoint: Endpoint, { timeoutMs = DIAL_LIMIT_MS }: DialOptions = {}): Promise<Socket> => {
    const cut = cutHostAt(endpoint);
    if (cut === undefined) return connectWithin(endpoint, timeoutMs);
    const started = performance.now();
    return new Promise<Socket>((resolve, reject) => {
      const waiting = stalled.get(cut) ?? new Set<() => void>();
      stalled.set(cut, waiting);
      const wake = () => {
        clearTimeout(timer);
        connectWithin(endpoint, Math.max(0, timeoutMs - (performance.now() - started))).then(resolve, reject);
      };
      const timer = setTimeout(() => {
        waiting.delete(wake);
        reject(connectTimedOut(endpoint));
      }, timeoutMs);
      waiting.add(wake);
    });
  };

  const launch = (host: Host, ports: Partial<Record<ServiceName, number>>) => {
    const hostId = host.id;
    const settings = options.relays?.[hostId] ?? {};
    const overrides = { ...options.overrides, ...settings.overrides };
    return startRelay({
      plan: history.planOf(hostId),
      hostId,
      stateDir,
      resolver,
      connector: familiesOf(hostOf(hostId), endpointBook, outside),
      profile: options.profile ?? 'fast',
      listen: { address: LOOPBACK, port: ports.smtp ?? 0 },
      ...(host.role === 'store' && {
        submission: { listen: { address: LOOPBACK, port: ports.submission ?? 0 }, passwords },
      }),
      log,
      ...(options.clock && { clock: options.clock }),
      ...(Object.keys(overrides).length > 0 && { overrides }),
      ...(settings.maxMessageSize !== undefined && { maxMessageSize: settings.maxMessageSize }),
      ...(settings.maxRecipients !== undefined && { maxRecipients: settings.maxRecipients }),
      tls: { identity: settings.identity ?? pki.identities.get(hostSubject(hostId))!, ca: pki.ca },
      earlierHosts: history.earlierHosts,
      sourceAddress: sourceAddressOf(hostId),
    });
  };

  /** A host's endpoint at its chosen ports (0: not chosen yet); its SMTP port goes into the address book. */
  const place = (host: Host, ports: Partial<Record<ServiceName, number>>) => {
    chosen.set(host.id, ports);
    const planned = [...host.ipv4, ...host.ipv6];
    const port = ports.smtp ?? 0;
    if (port !== 0) for (const address of planned) endpointBook.set(address, { host: LOOPBACK, port });
    hosts.set(host.id, {
      hostId: host.id,
      fqdn: host.fqdn,
      planned,
      address: LOOPBACK,
      port,
      services: Object.fromEntries(
        Object.entries(ports)
          .filter(([, p]) => p !== 0)
          .map(([name, p]) => [name, { host: LOOPBACK, port: p }]),
      ),
    });
  };
  /**
   * Starts a host's relay at its chosen ports; the first time, the ports it got are chosen (and
   * entered in the address book). True when a port was chosen now (endpoints.json must say so).
   */
  const bringUp = async (host: Host): Promise<boolean> => {
    const ports = chosen.get(host.id) ?? {};
    const relay = await launch(host, ports);
    relays.set(host.id, relay);
    const dovecot =
      host.role === 'store' && !noDovecot
        ? await startDovecot({
            plan: history.planOf(host.id),
            hostId: host.id,
            paths: dovecotPaths(stateDir, host.id),
            logins: passwords,
            address: LOOPBACK,
            ports: { imap: ports.imap ?? 0, pop3: ports.pop3 ?? 0 },
          }).catch(async (error: unknown) => {
            relays.delete(host.id);
            await relay.stop({ abrupt: true });
            throw error;
          })
        : undefined;
    if (dovecot) dovecots.set(host.id, dovecot);
    const running: Partial<Record<ServiceName, number>> = {
      ...ports,
      smtp: relay.port,
      ...(relay.submission && { submission: relay.submission.port }),
      ...(dovecot && { imap: dovecot.imap.port, pop3: dovecot.pop3.port }),
    };
    const changed = (Object.keys(running) as ServiceName[]).some((s) => running[s] !== ports[s]);
    if (changed) place(host, running);
    return changed;
  };

  const policyServers: PolicyServer[] = [];
  const web = new Map<string, HostEndpoint>();
  const endpoints = endpointsWriter(stateDir, dns, hosts, web, log);
  const starting = new Set(options.start ?? plan.hosts.keys());
  try {
    for (const host of plan.web.values()) {
      const server = await startPolicyServer({
        plan,
        web: host,
        identity: pki.identities.get(webSubject(host.id))!,
        address: LOOPBACK,
        port: options.webPorts?.[host.id] ?? 0,
        ...(options.policyDir !== undefined && { policyDir: options.policyDir }),
      });
      policyServers.push(server);
      const planned = [...host.ipv4, ...host.ipv6];
      for (const address of planned) endpointBook.set(address, { host: LOOPBACK, port: server.port }, HTTPS_PORT);
      web.set(host.id, {
        hostId: host.id,
        fqdn: host.fqdn,
        planned,
        address: LOOPBACK,
        port: server.port,
        // a web host's one service, HTTPS, is `port`: it has no mail services
        services: {},
      });
    }
    for (const id of [...starting, ...Object.keys(options.relays ?? {}), ...Object.keys(options.ports ?? {})])
      if (!plan.hosts.has(id)) throw new UnknownNameError(`no planned host "${id}"`);
    for (const host of plan.hosts.values()) {
      statuses.set(host.id, starting.has(host.id) ? 'up' : 'down');
      place(host, serviceChoice(host, options.ports?.[host.id], !noDovecot));
      if (starting.has(host.id)) await bringUp(host);
    }
    await endpoints.write();
  } catch (error) {
    endpoints.close();
    await Promise.allSettled([...relays.values()].map((r) => r.stop()));
    await Promise.allSettled(policyServers.map((s) => s.close()));
    await dns.close();
    await outside.close();
    throw error;
  }

  const known = (hostId: string) => {
    const endpoint = hosts.get(hostId);
    if (!endpoint) throw new UnknownNameError(`no planned host "${hostId}"`);
    return endpoint;
  };
  /** Stops a host's relay at once (a host going away finishes no session) and frees its port. */
  const stop = async (hostId: string) => {
    const relay = relays.get(hostId);
    relays.delete(hostId);
    const dovecot = dovecots.get(hostId);
    dovecots.delete(hostId);
    await Promise.all([relay?.stop({ abrupt: true }), dovecot?.stop()]);
    const hole = holes.get(hostId) ?? [];
    holes.delete(hostId);
    await Promise.all(hole.map((h) => h.close()));
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Every host stops at once, so nobody is left to finish a session with: cut them. What was
      // acknowledged is on disk; what was not, its sender still holds.
      endpoints.close();
      await Promise.allSettled([...hosts.keys()].map(stop));
      for (const hostId of [...stalled.keys()]) wakeStalled(hostId); // refused now: nothing listens
      await Promise.allSettled(policyServers.map((s) => s.close()));
      await dns.close();
      await outside.close();
    })());

  const switchPlan = async (next: Plan) => {
    const { added, reloaded, restarted } = history.begin(next);
    pki = await openPki(stateDir, history.tlsSubjects());
    // The new hosts first, as a migration's add step has them: up before anything routes there.
    for (const host of added) {
      history.assign(host.id, next);
      place(host, serviceChoice(host, undefined, !noDovecot));
      await bringUp(host);
      setStatus(host.id, 'up');
    }
    // Then, in one turn of the event loop, every other host of the new plan and the zones.
    const restart: Host[] = [];
    for (const host of [...reloaded, ...restarted]) {
      history.assign(host.id, next);
      const ports = chosen.get(host.id);
      if (ports) place(host, ports);
      const relay = relays.get(host.id);
      if (relay && reloaded.includes(host)) relay.reload(next);
      else if (relay) restart.push(host);
    }
    history.current = next;
    dns.replaceZones([...deriveZones(next, { serial: ++serial }), ...outside.zones]);
    // A new name or address needs the relay restarted (as Postfix needs for inet_interfaces).
    for (const host of restart) {
      const relay = relays.get(host.id)!;
      relays.delete(host.id);
      const dovecot = dovecots.get(host.id);
      dovecots.delete(host.id);
      await Promise.all([relay.stop(), dovecot?.stop()]);
      await bringUp(host);
    }
    await endpoints.write();
  };

  return {
    name: "mxplan's relays and responder on loopback",
    get plan() {
      return history.current;
    },
    stateDir,
    dns,
    resolver,
    get pki() {
      return pki;
    },
    web,
    endpointBook,
    passwords,
    connector: {
      endpointFor: (address, port) => endpointBook.endpointFor(address, port),
      sourceOf: (remote) => outside.sourceOf(remote),
      dial,
    },
    outside: outside.exchanges,
    // The contract's mailAccess, from the same services and passwords the mail clients use.
    ...(!noDovecot && {
      mailAccess: {
        server: 'Dovecot',
        endpointFor: (hostId: string, protocol: MailProtocol) => hosts.get(hostId)?.services[protocol],
        password: (address: string) => passwords.get(address),
      },
    }),
    tls: { ca: pki.ca },
    hosts,
    relay: (hostId) => relays.get(hostId),
    isUp: (hostId) => relays.has(hostId),
    status: (hostId) => statuses.get(known(hostId).hostId)!,
    async down(hostId) {
      known(hostId);
      await stop(hostId);
      setStatus(hostId, 'down');
    },
    async cut(hostId) {
      const { services } = known(hostId);
      await stop(hostId);
      // Every port of the host goes silent; one never chosen yet cannot be dialled, cut or not.
      holes.set(hostId, await Promise.all(Object.values(services).map((e) => silentListener(e.port))));
      setStatus(hostId, 'cut');
    },
    async up(hostId) {
      known(hostId);
      if (relays.has(hostId)) return;
      await stop(hostId);
      if (await bringUp(hostOf(hostId))) await endpoints.write();
      setStatus(hostId, 'up');
    },
    async retryNow(hostId) {
      if (hostId === undefined) for (const relay of relays.values()) relay.retryNow();
      else relays.get(known(hostId).hostId)?.retryNow();
    },
    async submit(hostId, envelope, message) {
      const relay = relays.get(known(hostId).hostId);
      if (!relay)
        throw new ResourceError(`${hostId} is ${statuses.get(hostId)}: it takes no submission until it is up`);
      return relay.submit(envelope, message);
    },
    async queued(hostId) {
      return relays.get(known(hostId).hostId)?.queueListing();
    },
    maildirRoot: (hostId) => hostLayout(stateDir, known(hostId).hostId).maildirRoot,
    onActivity(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    onDnsQuery(listener) {
      dnsListeners.add(listener);
      return () => {
        dnsListeners.delete(listener);
      };
    },
    // The relays report synchronously, as they act, so every activity up to now is reported; and
    // their queues know what they will do next (Relay.motion). Settled, then, is the moment no
    // relay is taking or delivering a message and none will start an attempt within quietMs:
    // what the quiet period stands for, known instead of waited out (an engine reading a log
    // must wait; this one would spend quietMs on every settle with nothing left to move).
    async settled({ quietMs, within }) {
      const deadline = performance.now() + within;
      for (;;) {
        const wait = untilStill(relays.values(), quietMs);
        const left = deadline - performance.now();
        if (wait === 0 || left <= 0) return;
        await new Promise((r) => setTimeout(r, Math.min(wait, left)));
      }
    },
    // One switch at a time; one that failed does not stop the next.
    switchPlan: oneAtATime(switchPlan),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** How often a relay busy with a message is asked again while settling, ms: an attempt on loopback ends in about this. */
const BUSY_POLL_MS = 10;

/**
 * 0 when no relay is moving mail and none will start an attempt within `quietMs`; otherwise how
 * long to wait before asking again: until the next attempt is due, or a moment while one runs.
 */
function untilStill(relays: Iterable<Relay>, quietMs: number): number {
  let wait = Infinity;
  for (const relay of relays) {
    const motion = relay.motion();
    if (motion.busy) return BUSY_POLL_MS;
    // Due within the quiet period: it would have broken the quiet, so wait for it to start.
    if (motion.nextIn !== undefined && motion.nextIn <= quietMs) wait = Math.min(wait, motion.nextIn + 1);
  }
  return Number.isFinite(wait) ? wait : 0;
}

/** A store's Dovecot paths in the sandbox: its own under <state>/<host>/dovecot/, the Maildirs the relay's. */
function dovecotPaths(stateDir: string, hostId: string): MtaPaths {
  const layout = hostLayout(stateDir, hostId);
  const tls = tlsLayout(stateDir);
  return {
    // No Postfix or OpenDKIM here (the relay signs): their paths only name what the sandbox does not run.
    postfixQueue: join(layout.dovecot.run, 'postfix'),
    postfixData: join(layout.dovecot.run, 'postfix'),
    postfixLog: join(layout.dovecot.run, 'postfix.log'),
    opendkimConfig: join(layout.dovecot.run, 'opendkim'),
    opendkimRun: join(layout.dovecot.run, 'opendkim'),
    dkimKeys: join(layout.dovecot.run, 'dkimkeys'),
    dovecotConfig: layout.dovecot.config,
    dovecotRun: layout.dovecot.run,
    dovecotState: layout.dovecot.state,
    dovecotLog: layout.dovecot.log,
    mailRoot: layout.maildirRoot,
    // The relay's own certificate: its Dovecot offers STARTTLS with it (the plan's CA alone trusts it).
    tlsKey: tls.host(hostId).key,
    tlsChain: tls.host(hostId).cert,
    tlsTrust: tls.caCert,
  };
}

/** The ports a host starts with: those asked for, of the services it runs (submission, IMAP and POP3 on a store only). */
function serviceChoice(
  host: Host,
  asked: Readonly<Partial<Record<ServiceName, number>>> | undefined,
  mailAccess: boolean,
): Partial<Record<ServiceName, number>> {
  const ports: Partial<Record<ServiceName, number>> = { smtp: asked?.smtp ?? 0 };
  if (host.role !== 'store') return ports;
  ports.submission = asked?.submission ?? 0;
  // IMAP and POP3 where Dovecot runs: the stable ports of --ports and ports.json too.
  if (mailAccess) Object.assign(ports, { imap: asked?.imap ?? 0, pop3: asked?.pop3 ?? 0 });
  return ports;
}

/**
 * What a client meets behind a cut link: the port takes connections and never says a word, so
 * it waits until its own timeout (as for a SYN that is never answered) instead of being refused.
 */
async function silentListener(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The address book as `host` sees it: only the address families it has an address in, and the
 * outside domains through forwarders of its own (outside.ts says why), when there are any.
 */
export function familiesOf(host: Host, book: Connector, outside?: OutsideNetwork): Connector {
  const families = new Set([...host.ipv4, ...host.ipv6].map(familyOf));
  return {
    endpointFor: (address, port) =>
      families.has(familyOf(address))
        ? (book.endpointFor(address, port) ?? (port === undefined ? outside?.endpointFor(host, address) : undefined))
        : undefined,
    whyUnreachable: (address) =>
      families.has(familyOf(address)) ? undefined : `${host.id} has no IPv${familyOf(address)} address`,
  };
}
