/**
 * Scenario 3: mail between the organisation's domains. From each store, as one of its own users,
 * a message to each other receiving domain's postmaster (RFC 5321 §4.5.1 makes it exist) must
 * arrive in the mailboxes the plan promises, once.
 */
import type { Domain, Host, Plan, User } from '../../topology/types.js';
import { newProbe, probeMessage, waitForMail, type Scenario } from '../context.js';
import { expectDelivery, type DeliveryExpectation } from '../expect.js';
import { judgeDelivery } from '../judge.js';
import { inParallel } from '../../parallel.js';

export const betweenDomainsScenario: Scenario = {
  name: 'between-domains',
  title: 'mail flows from each store to every other domain',
  async run(context) {
    const { plan, sandbox, mailboxes } = context;
    const jobs: { store: Host; author: User; to: string; at: number }[] = [];
    for (const store of [...plan.hosts.values()].filter((h) => h.role === 'store')) {
      const author = firstUserOn(plan, store);
      if (!author) continue; // a store without mailboxes sends nothing of its own
      for (const domain of plan.domains.values()) {
        if (domain.nullMx || domain.name === author.domain) continue;
        const to = recipientIn(domain);
        if (to) jobs.push({ store, author, to, at: jobs.length }); // reported in this order
      }
    }
    // Submitted side by side: each waits for its spool's fsync, and concurrent ones share it.
    const sent: { name: string; expectation: DeliveryExpectation; token: string; error?: string }[] = [];
    await inParallel(jobs, 16, async ({ store, author, to, at }) => {
      const token = newProbe();
      const name = `${author.address} (${store.id}) → ${to}`;
      try {
        await sandbox
          .relay(store.id)!
          .submit(
            { from: author.address, to: [to] },
            Buffer.from(probeMessage(token, author.address, to, `verify from ${store.id}`)),
          );
        sent[at] = { name, expectation: expectDelivery(plan, to), token };
      } catch (error) {
        sent[at] = { name, expectation: expectDelivery(plan, to), token, error: (error as Error).message };
      }
    });
    const queued = sent.filter((s) => !s.error);
    await waitForMail(
      mailboxes,
      queued.map((s) => ({ token: s.token, mailboxes: s.expectation.mailboxes })),
      context.patience,
      () => sandbox.retryNow(),
    );
    await context.settled();
    await mailboxes.scan();
    for (const s of sent) {
      if (s.error) context.report({ name: s.name, status: 'fail', expected: 'queued by the store', observed: s.error });
      else
        context.report({
          name: s.name,
          ...judgeDelivery(plan, s.expectation, mailboxes.copiesOf(s.token), { lastWord: context.lastWord }),
        });
    }
  },
};

/** postmaster@ where planned (RFC 5321 §4.5.1), else the domain's first user. */
export function recipientIn(domain: Domain): string | undefined {
  if (domain.users.has('postmaster') || domain.aliases.has('postmaster')) return `postmaster@${domain.name}`;
  let first: string | undefined;
  for (const local of domain.users.keys()) if (first === undefined || local < first) first = local;
  return first && `${first}@${domain.name}`;
}

/** The first user (in address order) homed on `store`: the author of its outgoing probes. */
export function firstUserOn(plan: Plan, store: Host): User | undefined {
  let authors = authorsByPlan.get(plan);
  if (!authors) {
    // One walk over every user for all stores: scenarios ask per store and per outage.
    authors = new Map();
    for (const domain of plan.domains.values()) {
      if (domain.nullMx) continue;
      for (const user of domain.users.values()) {
        const first = authors.get(user.homeId);
        if (!first || user.address < first.address) authors.set(user.homeId, user);
      }
    }
    authorsByPlan.set(plan, authors);
  }
  return authors.get(store.id);
}

const authorsByPlan = new WeakMap<Plan, Map<string, User>>();
