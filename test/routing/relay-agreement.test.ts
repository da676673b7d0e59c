/**
 * The per-host policy's tables (what an MTA generator prints) and a running relay (what mxplan's
 * sandbox does) agree on every address of both examples and of the mixed plan, at every host:
 * refused at RCPT with the same reply, or accepted and then, for every final address, delivered
 * here, forwarded to the same host, relayed through the MX, or bounced with the same reply.
 *
 * The expectation is read from the tables only (never from route()); the relay is observed from
 * outside (support/observed-relay.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.js';
import { mailboxAddress } from '../../src/mail/maildir.js';
import { hostPolicy } from '../../src/routing/policy.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { mixedPlan } from './support/mixed-plan.js';
import { observeRelay, startPlanDns, type ObservedRelay, type Probe } from './support/observed-relay.js';

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** Every planned address, an unknown one per domain, and addresses outside the plan. */
function addressesToTry(plan: Plan): string[] {
  const addresses = [...plan.addresses.values()].map((p) => (p.kind === 'user' ? p.user.address : p.alias.address));
  for (const domain of plan.domains.keys()) addresses.push(`no-such-user@${domain}`);
  return [...addresses, 'someone@example.com', `someone@${[...plan.hosts.values()][0]!.fqdn}`];
}

/** What the policy's tables say a host does with each address: "rcpt 550 5.1.1", or the fate of every final address. */
function expected(plan: Plan, hostId: string, addresses: readonly string[]): Map<string, string> {
  const policy = hostPolicy(plan, hostId);
  const final = new Set(policy.finalDomains().map((d) => d.name));
  const backup = new Set(policy.backupDomains().map((d) => d.name));
  const nullMx = new Set(policy.nullMxDomains().map((d) => d.name));
  const valid = new Set<string>();
  for (const name of [...final, ...backup])
    for (const p of policy.recipients(plan.domains.get(name)!))
      valid.add(p.kind === 'user' ? p.user.address : p.alias.address);
  const stored = new Set([...policy.storedUsers()].map((u) => u.address));
  const forwarded = new Map([...policy.forwardedUsers()].map((f) => [f.user.address, f.to.id]));
  const unplaced = new Set([...policy.unplacedUsers()].map((u) => u.address));
  const aliases = new Map([...policy.aliases()].map((a) => [a.alias.address, a.members]));

  /** A final address this host routes itself (an alias member): Postfix's virtual_alias_maps then transport. */
  const fate = (address: string): string => {
    if (stored.has(address)) return 'local';
    const home = forwarded.get(address);
    if (home) return `forward ${home}`;
    if (unplaced.has(address)) return 'bounce 451 4.3.5';
    const domain = domainOf(address);
    if (nullMx.has(domain)) return 'bounce 556 5.1.10';
    if (!plan.domains.has(domain)) return `relay ${domain}`;
    return 'bounce 550 5.1.1';
  };
  const decisions = new Map<string, string>();
  for (const address of addresses) {
    const domain = domainOf(address);
    let decision: string;
    if (nullMx.has(domain)) decision = 'rcpt 556 5.1.10';
    else if (!final.has(domain) && !backup.has(domain)) decision = 'rcpt 550 5.7.1';
    else if (!valid.has(address)) decision = 'rcpt 550 5.1.1';
    else if (backup.has(domain)) decision = `${address} relay ${domain}`;
    else if (unplaced.has(address)) decision = 'rcpt 451 4.3.5';
    else {
      const members = aliases.get(address) ?? [address];
      decision = members
        .map((m) => `${m} ${fate(m)}`)
        .sort()
        .join('; ');
    }
    decisions.set(address, decision);
  }
  return decisions;
}

/** What the running relay did with each address. */
async function observed(plan: Plan, hostId: string, dns: DnsServer, addresses: readonly string[]) {
  await using relay = await observeRelay(plan, hostId, dns);
  const decisions = new Map<string, string>();
  const accepted: string[] = [];
  for (const [address, reply] of await relay.rcpt(addresses)) {
    if (reply.startsWith('250')) accepted.push(address);
    else decisions.set(address, `rcpt ${/^(\d{3}) (\d\.\d+\.\d+)/.exec(reply)?.slice(1).join(' ') ?? reply}`);
  }
  // Users a hundred to a message (each reaches only itself); an alias alone, so its members are its own.
  const isUser = (a: string) => plan.addresses.get(a)?.kind === 'user';
  const users = accepted.filter(isUser);
  const units: Probe[] = [];
  for (let i = 0; i < users.length; i += 100) units.push({ probe: units.length, recipients: users.slice(i, i + 100) });
  for (const alias of accepted.filter((a) => !isUser(a))) units.push({ probe: units.length, recipients: [alias] });
  const ids = await relay.send(units);
  await relay.settled();

  const byQueueId = new Map([...ids].map(([probe, id]) => [id, units[probe]!]));
  const fates = new Map<number, string[]>(units.map((u) => [u.probe, []]));
  const unitOf = (queueId: string) => byQueueId.get(queueId)?.probe ?? -1;
  for (const event of relay.events)
    if (event.type === 'delivered' && event.to === 'maildir')
      fates.get(unitOf(event.queueId))?.push(`${event.recipient} local`);
  for (const arrival of relay.arrivals) {
    for (const recipient of arrival.recipients) {
      const { exit } = arrival;
      const fate =
        exit.kind === 'host'
          ? `forward ${exit.hostId}`
          : exit.kind === 'outside'
            ? `relay ${domainOf(recipient)}`
            : relayedThrough(plan, hostId, domainOf(recipient), exit.hostId);
      fates.get(arrival.probe)?.push(`${recipient} ${fate}`);
    }
  }
  for (const bounce of relay.bounces)
    fates.get(unitOf(bounce.queueId))?.push(`${bounce.recipient} bounce ${bounce.reply}`);

  // Anything that left the relay for no probe of ours, or for an address no user of a message named, is a finding.
  const strays: unknown[] = relay.arrivals.filter((a) => !fates.has(a.probe));
  for (const unit of units) {
    const seen = fates.get(unit.probe)!.sort();
    if (unit.recipients.length === 1) decisions.set(unit.recipients[0]!, seen.join('; '));
    else {
      const own = (recipient: string) => seen.filter((f) => f.startsWith(`${recipient} `));
      for (const recipient of unit.recipients) decisions.set(recipient, own(recipient).join('; '));
      strays.push(...seen.filter((f) => !unit.recipients.includes(f.slice(0, f.indexOf(' ')))));
    }
  }
  return { decisions, strays, mailboxes: await mailboxesOn(relay) };
}

/** RFC 5321 §5.1: a relay hands mail only to an MX more preferred than itself. */
function relayedThrough(plan: Plan, hostId: string, domain: string, to: string): string {
  const mx = plan.domains.get(domain)?.mx ?? [];
  const own = Math.min(...mx.filter((m) => m.host?.id === hostId).map((m) => m.preference));
  const ok = mx.some((m) => m.host?.id === to && m.preference < own);
  return ok ? `relay ${domain}` : `relay ${domain} through ${to}, no better MX`;
}

/** The mailboxes the relay holds on disk, as addresses. */
async function mailboxesOn(relay: ObservedRelay): Promise<string[]> {
  const root = join(relay.stateDir, relay.relay.hostId, 'maildir');
  const domains = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const found: string[] = [];
  for (const domain of domains)
    for (const dir of await readdir(join(root, domain))) found.push(mailboxAddress(domain, dir));
  return found.sort();
}

const PLANS: [name: string, load: () => Promise<Plan>][] = [
  ['examples/building', async () => (await loadPlan('examples/building/topology.yaml')).plan!],
  ['examples/hosting', async () => (await loadPlan('examples/hosting/topology.yaml')).plan!],
  ['the mixed plan (split domain, nested aliases, members outside, a backup)', mixedPlan],
];

describe.each(PLANS)('%s: the relays do what the policy says', (_name, load) => {
  let plan: Plan;
  let dns: DnsServer;
  beforeAll(async () => {
    plan = await load();
    dns = await startPlanDns(plan);
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('at every host, for every address', async () => {
    const addresses = addressesToTry(plan);
    for (const hostId of plan.hosts.keys()) {
      const want = expected(plan, hostId, addresses);
      const got = await observed(plan, hostId, dns, addresses);
      expect(Object.fromEntries(got.decisions), hostId).toEqual(Object.fromEntries(want));
      expect(got.strays, `${hostId}: mail nobody sent`).toEqual([]);
      // issue 10: a host holds exactly the mailboxes the plan places on it, a relay-only host none
      const stored = [...hostPolicy(plan, hostId).storedUsers()].map((u) => u.address).sort();
      expect(got.mailboxes, `${hostId}: mailboxes on disk`).toEqual(stored);
    }
  }, 600_000);
});
