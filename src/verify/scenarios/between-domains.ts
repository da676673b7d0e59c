/**
 * Scenario 3: mail between the organisation's domains. From each store, as one of its own users,
 * a message to each other receiving domain's postmaster (RFC 5321 §4.5.1 makes it exist) must
 * arrive in the mailboxes the plan promises, once.
 */
import type { Domain, Host, Plan, User } from '../../topology/types.js';
import { newProbe, probeMessage, waitForMail, type Scenario } from '../context.js';
import { expectDelivery, type DeliveryExpectation } from '../expect.js';
import { judgeDelivery } from '../judge.js';

export const betweenDomainsScenario: Scenario = {
  name: 'between-domains',
  title: 'mail flows from each store to every other domain',
  async run(context) {
    const { plan, sandbox, mailboxes } = context;
    const sent: { name: string; expectation: DeliveryExpectation; token: string; error?: string }[] = [];
    for (const store of [...plan.hosts.values()].filter((h) => h.role === 'store')) {
      const author = firstUserOn(plan, store);
      if (!author) continue; // a store without mailboxes sends nothing of its own
      for (const domain of plan.domains.values()) {
        if (domain.nullMx || domain.name === author.domain) continue;
        const to = recipientIn(domain);
        if (!to) continue;
        const token = newProbe();
        const name = `${author.address} (${store.id}) → ${to}`;
        try {
          await sandbox.relay(store.id)!.submit({ from: author.address, to: [to] }, Buffer.from(probeMessage(token, author.address, to, `verify from ${store.id}`)));
          sent.push({ name, expectation: expectDelivery(plan, to), token });
        } catch (error) {
          sent.push({ name, expectation: expectDelivery(plan, to), token, error: (error as Error).message });
        }
      }
    }
    const queued = sent.filter((s) => !s.error);
    await waitForMail(mailboxes, queued.map((s) => ({ token: s.token, mailboxes: s.expectation.mailboxes })), context.patience, () => sandbox.retryNow());
    await context.settled();
    await mailboxes.scan();
    for (const s of sent) {
      if (s.error) context.report({ name: s.name, status: 'fail', expected: 'queued by the store', observed: s.error });
      else context.report({ name: s.name, ...judgeDelivery(plan, s.expectation, mailboxes.copiesOf(s.token), { lastWord: context.lastWord }) });
    }
  },
};

/** postmaster@ where planned (RFC 5321 §4.5.1), else the domain's first user. */
export function recipientIn(domain: Domain): string | undefined {
  if (domain.users.has('postmaster') || domain.aliases.has('postmaster')) return `postmaster@${domain.name}`;
  const first = [...domain.users.keys()].sort()[0];
  return first && `${first}@${domain.name}`;
}

/** The first user (in address order) homed on `store`: the author of its outgoing probes. */
export function firstUserOn(plan: Plan, store: Host): User | undefined {
  let first: User | undefined;
  for (const domain of plan.domains.values()) {
    if (domain.nullMx) continue;
    for (const user of domain.users.values()) {
      if (user.homeId === store.id && (!first || user.address < first.address)) first = user;
    }
  }
  return first;
}
