/**
 * Scenario 4: failover. For each MX host, with that host down, mail for every domain it serves
 * is still accepted (by the next MX), waits in a queue while its mailbox's host is down, and is
 * delivered exactly once after the host comes back. Then, with every MX of a domain down, a
 * store outside that MX set keeps the message in its own queue until they return.
 *
 * A host goes down in two ways, taken in turn by the outages: stopped (connections to it are
 * refused, at once) and cut off (its link is down: connections time out, and senders must give
 * up on it in time). A plan whose outages all fit in one cycle gets that cycle twice, once each way.
 */
import type { Domain } from '../../topology/types.js';
import type { Scenario, VerifyContext } from '../context.js';
import { expectDelivery, type DeliveryExpectation } from '../expect.js';
import { judgeDelivery, judgeNotTaken } from '../judge.js';
import type { Copy } from '../mailboxes.js';
import { inParallel } from '../../parallel.js';
import {
  firstUserOn,
  newProbe,
  OUTSIDE_SENDER,
  probeMessage,
  probeMessageId,
  recipientIn,
  waitForMail,
} from '../probes.js';

export const failoverScenario: Scenario = {
  name: 'failover',
  title: 'mail survives each MX host going down',
  async run(context) {
    const { plan } = context;
    const receiving = [...plan.domains.values()].filter((d) => !d.nullMx && d.mx.some((m) => m.host));
    const planned: PlannedOutage[] = [];
    // One MX down: another MX of the domain must take the mail. A domain with a single MX host
    // has no other; its outage is the every-MX one below (the sender's queue holds the mail).
    for (const hostId of [...new Set(receiving.flatMap(mxHostsOf))].sort()) {
      const domains = receiving.filter((d) => mxHostsOf(d).length > 1 && mxHostsOf(d).includes(hostId));
      if (domains.length > 0) planned.push({ kind: 'one-mx', down: [hostId], domains });
    }
    // Domains with the same MX hosts share one outage of them all.
    const byMxSet = new Map<string, Domain[]>();
    for (const domain of receiving) {
      const key = mxHostsOf(domain).join(' ');
      byMxSet.set(key, [...(byMxSet.get(key) ?? []), domain]);
    }
    for (const [key, domains] of byMxSet) {
      const down = key.split(' ');
      const store = [...plan.hosts.values()].find(
        (h) => h.role === 'store' && !down.includes(h.id) && firstUserOn(plan, h),
      );
      if (store) {
        planned.push({ kind: 'every-mx', down, domains, store: store.id });
        continue;
      }
      for (const domain of domains) {
        context.report({
          name: `${domain.name} with every MX down (${down.join(', ')})`,
          status: 'skip',
          note: 'every store is an MX of this domain: no sender stays up to hold the message',
        });
      }
    }

    const outages: Outage[] = [];
    const cycles = waves(planned);
    const faulted = (cycles.length === 1 ? [...cycles, ...cycles] : cycles).map((wave, i) => ({
      wave,
      fault: FAULTS[i % FAULTS.length]!,
    }));
    for (const { wave, fault } of faulted) {
      const down = [...new Set(wave.flatMap((o) => o.down))].sort();
      const word = FAULT_WORDS[fault];
      context.status(`${down.join(', ')} ${word}`);
      outages.push(
        await withHostsDown(
          context,
          down,
          fault,
          () => sendDuring(context, wave, down, word),
          `while ${down.join(', ')} ${down.length > 1 ? 'were' : 'was'} ${word}`,
        ),
      );
    }
    await context.settled();
    await context.mailboxes.scan(); // once, at the end: reading every mailbox is the costly part
    for (const outage of outages) judgeOutage(context, outage);
  },
};

type Fault = 'down' | 'cut';

/** In turn: stopped first, then cut off. */
const FAULTS: readonly Fault[] = ['down', 'cut'];
const FAULT_WORDS: Readonly<Record<Fault, string>> = { down: 'down', cut: 'cut off' };

/**
 * One MX host down (its domains must still receive, through another MX), or every MX of some
 * domains down (a store outside their MX set must hold their mail in its own queue).
 */
type PlannedOutage =
  | { readonly kind: 'one-mx'; readonly down: readonly string[]; readonly domains: readonly Domain[] }
  | {
      readonly kind: 'every-mx';
      readonly down: readonly string[];
      readonly domains: readonly Domain[];
      readonly store: string;
    };

/**
 * Outages that can share one down-and-up cycle: each restart of a host costs a reconnect (and,
 * when the host is cut, the senders' timeouts), so verify takes independent outages together. Two are
 * independent when, with the union of their hosts down, every domain of a one-MX outage still
 * has an MX up, and the store of an every-MX outage is up.
 */
function waves(planned: readonly PlannedOutage[]): PlannedOutage[][] {
  const result: PlannedOutage[][] = [];
  for (const outage of planned) {
    const wave = result.find((w) => compatible([...w, outage]));
    if (wave) wave.push(outage);
    else result.push([outage]);
  }
  return result;
}

function compatible(wave: readonly PlannedOutage[]): boolean {
  const down = new Set(wave.flatMap((o) => o.down));
  return wave.every((o) =>
    o.kind === 'every-mx' ? !down.has(o.store) : o.domains.every((d) => mxHostsOf(d).some((id) => !down.has(id))),
  );
}

/** Sends a wave's probes: from outside for one-MX outages, from the holding store for the others. */
async function sendDuring(
  context: VerifyContext,
  wave: readonly PlannedOutage[],
  down: readonly string[],
  word: string,
): Promise<Probe[]> {
  const also = (own: readonly string[]) => {
    const others = down.filter((id) => !own.includes(id));
    return others.length > 0 ? ` (${others.join(', ')} ${word} too)` : '';
  };
  // The outages of a wave side by side: a cut host costs each sender its timeouts, once per wave.
  const sent = await Promise.all(
    wave.map(async (outage): Promise<Probe[]> => {
      if (outage.kind === 'one-mx') {
        const [hostId] = outage.down as [string];
        const mine = outage.domains.map((d) =>
          probeFor(context, targetFor(d, hostId), `with ${hostId} ${word}${also(outage.down)}`),
        );
        await inParallel(mine, 16, async (p) => {
          p.outcome = await context.sender.send(
            OUTSIDE_SENDER,
            p.to,
            probeMessage(p.token, OUTSIDE_SENDER, p.to, `verify with ${hostId} ${word}`),
          );
        });
        return mine;
      }
      const { engine } = context;
      const from = firstUserOn(context.plan, context.plan.hosts.get(outage.store)!)!.address;
      const mine = outage.domains.map((d) =>
        probeFor(
          context,
          recipientIn(d)!,
          `with every MX ${word} (${outage.down.join(', ')}), sent from ${outage.store}${also(outage.down)}`,
        ),
      );
      await inParallel(mine, 16, async (p) => {
        try {
          await engine.submit(
            outage.store,
            { from, to: [p.to] },
            Buffer.from(probeMessage(p.token, from, p.to, `verify with every MX ${word}`)),
          );
          p.outcome = { code: 250, response: '' };
        } catch (error) {
          p.outcome = {
            code: 0,
            response: `${outage.store} did not take the submission: ${(error as Error).message}`,
          };
        }
      });
      // RFC 5321 §4.5.4.1: mail that no host still up can take waits in the sender's own queue
      // (a store may reach a home host that is up without any MX). Other messages may wait there
      // too: the count can only be larger, never falsely smaller.
      const mustWait = mine.filter(
        (p) =>
          p.outcome.code === 250 &&
          p.expectation.lost.length === 0 &&
          p.expectation.mailboxes.every((m) => outage.down.includes(m.hostId)),
      );
      const held = (await engine.queued(outage.store))?.length ?? 0;
      if (held < mustWait.length)
        for (const p of mustWait)
          p.outcome = {
            code: 0,
            response: `${outage.store}'s queue holds ${held} messages, not the ${mustWait.length} that had nowhere to go`,
          };
      return mine;
    }),
  );
  const probes = sent.flat();
  return probes;
}

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
 * Takes `hostIds` down (or cuts them off), sends, looks at their mailboxes, brings them back, and
 * waits until every accepted probe has arrived (judged later, after one full scan).
 */
async function withHostsDown(
  context: VerifyContext,
  hostIds: readonly string[],
  fault: Fault,
  send: () => Promise<Probe[]>,
  when: string,
): Promise<Outage> {
  const { engine, mailboxes } = context;
  for (const id of hostIds) await engine[fault](id);
  let probes: Probe[];
  try {
    probes = await send();
    await mailboxes.scanMailboxes(
      probes.flatMap((p) => p.expectation.mailboxes.filter((m) => hostIds.includes(m.hostId))),
    );
  } finally {
    for (const id of hostIds) await engine.up(id);
  }
  const early = new Map(
    probes.map((p) => [p.token, mailboxes.copiesOf(p.token).filter((c) => hostIds.includes(c.hostId))]),
  );
  await engine.retryNow();
  const accepted = probes.filter((p) => p.outcome.code === 250);
  await waitForMail(
    mailboxes,
    accepted.map((p) => ({ token: p.token, mailboxes: p.expectation.mailboxes })),
    context.patience,
    context.retry,
  );
  return { hostIds, probes, early, when };
}

function judgeOutage(context: VerifyContext, { probes, early, when }: Outage): void {
  for (const p of probes) {
    const tooEarly = early.get(p.token) ?? [];
    const messageId = probeMessageId(p.token);
    if (p.outcome.code !== 250) {
      context.report({
        name: p.name,
        messageId,
        ...judgeNotTaken(p.expectation, `accepted ${when}`, `${p.outcome.code || 'no answer'}: ${p.outcome.response}`),
      });
    } else if (tooEarly.length > 0 && p.expectation.lost.length === 0) {
      context.report({
        name: p.name,
        messageId,
        status: 'fail',
        expected: `held in a queue ${when}`,
        observed: `reached ${tooEarly[0]!.address} on ${tooEarly[0]!.hostId}, which was down`,
      });
    } else {
      context.report({
        name: p.name,
        messageId,
        ...judgeDelivery(context.plan, p.expectation, context.mailboxes.copiesOf(p.token), {
          lastWord: context.lastWord,
        }),
      });
    }
  }
}

function probeFor(context: VerifyContext, to: string, when: string): Probe {
  return {
    name: `${to} ${when}`,
    to,
    token: newProbe(),
    outcome: { code: 0, response: 'not sent' },
    expectation: expectDelivery(context.plan, to),
  };
}

function mxHostsOf(domain: Domain): string[] {
  return [...new Set(domain.mx.map((m) => m.host?.id).filter((id): id is string => id !== undefined))].sort();
}

/** A user of `domain` homed on the down host if there is one (it must wait), else postmaster. */
function targetFor(domain: Domain, downHost: string): string {
  const homed = [...domain.users.values()]
    .filter((u) => u.homeId === downHost)
    .map((u) => u.address)
    .sort()[0];
  return homed ?? recipientIn(domain)!;
}
