/**
 * mxplan's relay for one planned host, inside the host's namespace (the lab's builtin MTA): it
 * listens on port 25 at the host's planned addresses, resolves through the plan's name servers
 * on port 53, and dials the planned addresses themselves, so the relays meet each other over the
 * lab's network as Postfix instances would, over STARTTLS with the certificate the lab's CA issued
 * it (MTA-STS enforced as in the sandbox). Its events go to the lab's process, stamped with
 * the time they happened (the lab's settle rule measures quiet on them).
 */
import { promises as dns } from 'node:dns';
import { startRelay } from '../mail/relay.js';
import type { ProfileName, ProfileOverrides } from '../mail/profiles.js';
import { familiesOf } from '../sandbox/sandbox.js';
import type { TlsIdentity } from '../tls/pki.js';
import { familyOf } from '../topology/ip.js';
import { report, type Operation } from './ipc.js';
import { revivePlan, type PackedPlan } from './plan-transfer.js';

export interface RelayInit {
  readonly plan: PackedPlan;
  readonly hostId: string;
  readonly stateDir: string;
  /** The planned name servers' addresses, in the plan's order. */
  readonly nameServers: readonly string[];
  readonly profile: ProfileName;
  readonly overrides?: ProfileOverrides;
  /** The host's certificate from the lab's CA, and the CA its client trusts alone (as in the sandbox). */
  readonly tls: { readonly identity: TlsIdentity; readonly ca: string };
  /** The fqdns of the plans the lab ran before this one (RelayOptions earlierHosts). */
  readonly earlierHosts?: readonly string[];
}

export const SMTP_PORT = 25;
export const DNS_PORT = 53;

export async function startRelayHelper(init: RelayInit) {
  const plan = revivePlan(init.plan);
  const host = plan.hosts.get(init.hostId)!;
  const families = new Set([...host.ipv4, ...host.ipv6].map(familyOf));
  const resolver = new dns.Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers(
    init.nameServers
      .filter((a) => families.has(familyOf(a)))
      .map((a) => (familyOf(a) === 6 ? `[${a}]:${DNS_PORT}` : `${a}:${DNS_PORT}`)),
  );
  const relay = await startRelay({
    plan,
    hostId: host.id,
    stateDir: init.stateDir,
    resolver: {
      resolveMx: (domain) => resolver.resolveMx(domain),
      resolve4: (name) => resolver.resolve4(name),
      resolve6: (name) => resolver.resolve6(name),
    },
    // The lab's network is the planned one: a planned address is dialled as it is.
    connector: familiesOf(host, { endpointFor: (address) => ({ host: address, port: SMTP_PORT }) }),
    profile: init.profile,
    // Only the planned addresses are in the namespace: the wildcard of its families is exactly them.
    listen: { address: host.ipv6.length > 0 ? '::' : '0.0.0.0', port: SMTP_PORT },
    log: (event) => report({ ...event, at: Date.now() }),
    ...(init.overrides && { overrides: init.overrides }),
    tls: init.tls,
    ...(init.earlierHosts && { earlierHosts: init.earlierHosts }),
  });
  const operations: Record<string, Operation> = {
    submit: ({ envelope, message }: { envelope: { from: string; to: string[] }; message: Uint8Array }) =>
      relay.submit(envelope, Buffer.from(message.buffer, message.byteOffset, message.byteLength)),
    queued: async () => relay.queueListing(),
    retry: async () => relay.retryNow(),
    // A switch of plans: routes by the new one from now on, its queue routed anew (`postfix reload`).
    reload: async (next: PackedPlan) => relay.reload(revivePlan(next)),
    // Answered after every event before it (one channel, in order): the lab has heard them all.
    flush: async () => Date.now(),
  };
  return { operations, stop: () => relay.stop({ abrupt: true }) };
}
