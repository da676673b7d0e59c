/**
 * Scenario 4: failover. For each MX host, with that host down, mail for every domain it serves
 * is still accepted (by the next MX), waits in a queue while its mailbox's host is down, and is
 * delivered exactly once after the host comes back. Then, with every MX of a domain down, a
 * store outside that MX set keeps the message in its own queue until they return.
 */
import type { Domain } from '../../topology/types.js';
import { newProbe, probeMessage, waitForMail, type Scenario, type VerifyContext } from '../context.js';
import { expectDelivery, type DeliveryExpectation } from '../expect.js';
import { judgeDelivery } from '../judge.js';
import type { Copy } from '../mailboxes.js';
import { firstUserOn, recipientIn } from './between-domains.js';
import { OUTSIDE_SENDER } from './delivery.js';

export const failoverScenario: Scenario = {
  name: 'failover',
  title: 'mail survives each MX host going down',
  async run(context) {
    const { plan } = context;
    const outages: Outage[] = [];
    const receiving = [...plan.domains.values()].filter((d) => !d.nullMx && d.mx.some((m) => m.host));
    const mxHosts = [...new Set(receiving.flatMap(mxHostsOf))].sort();

    for (const hostId of mxHosts) {
      const domains = receiving.filter((d) => d.mx.some((m) => m.host?.id === hostId));
      context.status(`${hostId} down, ${domains.length} domain(s) to receive`);
      outages.push(await withHostsDown(context, [hostId], async () => {
        const probes = [];
        for (const domain of domains) {
          const to = targetFor(domain, hostId);
          const token = newProbe();
          const outcome = await context.sender.send(OUTSIDE_SENDER, to, probeMessage(token, OUTSIDE_SENDER, to, `verify with ${hostId} down`));
          probes.push({ name: `${to} with ${hostId} down`, to, token, outcome, expectation: expectDelivery(plan, to) });
        }
        return probes;
      }, `while ${hostId} was down`));
    }

    // Domains with the same MX hosts share one outage.
    const byMxSet = new Map<string, Domain[]>();
    for (const domain of receiving) {
      const key = mxHostsOf(domain).join(' ');
      byMxSet.set(key, [...(byMxSet.get(key) ?? []), domain]);
    }
    for (const [key, domains] of byMxSet) {
      const down = key.split(' ');
      const store = [...plan.hosts.values()].find((h) => h.role === 'store' && !down.includes(h.id) && firstUserOn(plan, h));
      if (!store) {
        for (const domain of domains) {
          context.report({ name: `${domain.name} with every MX down (${down.join(', ')})`, status: 'skip', note: 'every store is an MX of this domain: no sender stays up to hold the message' });
        }
        continue;
      }
      const from = firstUserOn(plan, store)!.address;
      context.status(`every MX of ${domains.length} domain(s) down: ${down.join(', ')}`);
      outages.push(await withHostsDown(context, down, async () => {
        const probes: Probe[] = [];
        for (const domain of domains) {
          const to = recipientIn(domain)!;
          const token = newProbe();
          await context.sandbox.relay(store.id)!.submit({ from, to: [to] }, Buffer.from(probeMessage(token, from, to, 'verify with every MX down')));
          probes.push({ name: `${to} with every MX down (${down.join(', ')}), sent from ${store.id}`, to, token, outcome: { code: 250, response: '' }, expectation: expectDelivery(plan, to) });
        }
        // RFC 5321 §4.5.4.1: with no MX answering, the message waits in the sender's own queue.
        const queued = context.sandbox.relay(store.id)!.queued();
        if (queued < probes.length) for (const p of probes) p.outcome = { code: 0, response: `${store.id} queued ${queued} of ${probes.length} messages` };
        return probes;
      }, 'while every MX was down'));
    }

    await context.mailboxes.scan(); // once, at the end: reading every mailbox is the costly part
    for (const outage of outages) judgeOutage(context, outage);
  },
};

interface Probe {
  readonly name: string;
  readonly to: string;
  readonly token: string;
  outcome: { code: number; response: string };
  readonly expectation: DeliveryExpectation;
}

interface Outage {
  readonly hostIds: readonly string[];
  readonly probes: readonly Probe[];
  /** Copies found on a down host while it was down, by token (there must be none). */
  readonly early: ReadonlyMap<string, readonly Copy[]>;
  readonly when: string;
}

/**
 * Takes `hostIds` down, sends, looks at the down hosts' mailboxes, brings the hosts back, and
 * waits until every accepted probe has arrived (judged later, after one full scan).
 */
async function withHostsDown(context: VerifyContext, hostIds: readonly string[], send: () => Promise<Probe[]>, when: string): Promise<Outage> {
  const { sandbox, mailboxes } = context;
  for (const id of hostIds) await sandbox.down(id);
  let probes: Probe[];
  try {
    probes = await send();
    for (const p of probes) for (const m of p.expectation.mailboxes) if (hostIds.includes(m.hostId)) await mailboxes.scanMailbox(m.hostId, m.address);
  } finally {
    for (const id of hostIds) await sandbox.up(id);
  }
  const early = new Map(probes.map((p) => [p.token, mailboxes.copiesOf(p.token).filter((c) => hostIds.includes(c.hostId))]));
  sandbox.retryNow();
  const accepted = probes.filter((p) => p.outcome.code === 250);
  await waitForMail(mailboxes, accepted.map((p) => ({ token: p.token, mailboxes: p.expectation.mailboxes })), context.patience, () => sandbox.retryNow());
  return { hostIds, probes, early, when };
}

function judgeOutage(context: VerifyContext, { probes, early, when }: Outage): void {
  for (const p of probes) {
    const tooEarly = early.get(p.token) ?? [];
    if (p.outcome.code !== 250) {
      context.report({ name: p.name, status: 'fail', expected: `accepted ${when}`, observed: `${p.outcome.code || 'no answer'}: ${p.outcome.response}` });
    } else if (tooEarly.length > 0) {
      context.report({ name: p.name, status: 'fail', expected: `held in a queue ${when}`, observed: `reached ${tooEarly[0]!.address} on ${tooEarly[0]!.hostId}, which was down` });
    } else {
      context.report({ name: p.name, ...judgeDelivery(context.plan, p.expectation, context.mailboxes.copiesOf(p.token), { lastWord: context.lastWord }) });
    }
  }
}

function mxHostsOf(domain: Domain): string[] {
  return [...new Set(domain.mx.map((m) => m.host?.id).filter((id): id is string => id !== undefined))].sort();
}

/** A user of `domain` homed on the down host if there is one (it must wait), else postmaster. */
function targetFor(domain: Domain, downHost: string): string {
  const homed = [...domain.users.values()].filter((u) => u.homeId === downHost).map((u) => u.address).sort()[0];
  return homed ?? recipientIn(domain)!;
}
