/**
 * Scenario 3: mail between the organisation's domains. From each store, as one of its own users,
 * a message to each other receiving domain's postmaster (RFC 5321 §4.5.1 makes it exist) must
 * arrive in the mailboxes the plan promises, once.
 */
import type { Host, User } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import { expectDelivery, type DeliveryExpectation } from '../expect.js';
import { judgeDelivery, judgeNotTaken } from '../judge.js';
import { inParallel } from '../../parallel.js';
import { firstUserOn, newProbe, probeMessage, probeMessageId, recipientIn, waitForMail } from '../probes.js';

export const betweenDomainsScenario: Scenario = {
  name: 'between-domains',
  title: 'mail flows from each store to every other domain',
  async run(context) {
    const { plan, engine, mailboxes } = context;
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
        await engine.submit(
          store.id,
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
      context.retry,
    );
    await context.settled();
    await mailboxes.scan();
    for (const s of sent) {
      const messageId = probeMessageId(s.token);
      if (s.error)
        context.report({ name: s.name, messageId, ...judgeNotTaken(s.expectation, 'queued by the store', s.error) });
      else
        context.report({
          name: s.name,
          messageId,
          ...judgeDelivery(plan, s.expectation, mailboxes.copiesOf(s.token), { lastWord: context.lastWord }),
        });
    }
  },
};
