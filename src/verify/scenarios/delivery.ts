/**
 * Scenario 2: the delivery matrix. For every planned address (users and aliases) an outside MTA
 * delivers one message through MX resolution; each must land in exactly the mailboxes the plan
 * promises, once, nowhere else, by the expected hops (best MX, then the user's home host).
 */
import type { Domain } from '../../topology/types.js';
import { newProbe, probeMessage, waitForMail, type Scenario } from '../context.js';
import { entryHosts, expectDelivery, expectedTrail, type DeliveryExpectation } from '../expect.js';
import { hostIdByFqdn, judgeDelivery } from '../judge.js';
import { inParallel } from '../../parallel.js';

export const OUTSIDE_SENDER = 'verify@outside.example';

export const deliveryScenario: Scenario = {
  name: 'delivery',
  title: 'every address delivers to exactly its mailboxes',
  async run(context) {
    const { plan, sender, mailboxes } = context;
    const probes: {
      domain: Domain;
      expectation: DeliveryExpectation;
      token: string;
      code: number;
      response: string;
    }[] = [];
    // Null-MX domains included: an address planned there is a promise the plan cannot keep.
    const targets = [...plan.domains.values()].flatMap((domain) =>
      addressesOf(domain).map((address) => ({ domain, address })),
    );
    await inParallel(targets, 96, async ({ domain, address }) => {
      const token = newProbe();
      const { code, response } = await sender.send(
        OUTSIDE_SENDER,
        address,
        probeMessage(token, OUTSIDE_SENDER, address, `verify delivery to ${address}`),
      );
      probes.push({ domain, expectation: expectDelivery(plan, address), token, code, response });
      context.status(`sent ${probes.length} of ${targets.length}`);
    });
    context.status('waiting for every copy to arrive');

    const accepted = probes.filter((p) => p.code === 250);
    await waitForMail(
      mailboxes,
      accepted.map((p) => ({ token: p.token, mailboxes: p.expectation.mailboxes })),
      context.patience,
      () => context.sandbox.retryNow(),
    );
    await context.settled();
    await mailboxes.scan();

    const hostOf = hostIdByFqdn(plan);
    for (const p of probes.sort((a, b) => a.expectation.address.localeCompare(b.expectation.address))) {
      const name = p.expectation.address;
      if (p.code !== 250) {
        context.report({
          name,
          status: 'fail',
          expected: 'accepted (250) by an MX host',
          observed: `${p.code || 'no answer'}: ${p.response}`,
        });
        continue;
      }
      const entries = entryHosts(p.domain);
      const verdict = judgeDelivery(plan, p.expectation, mailboxes.copiesOf(p.token), {
        expectedTrail: (mailbox, copy) => {
          // The sender picks among equal best preferences at random: the trail starts where it went.
          const entry = hostOf(copy.trail[0] ?? '') ?? '?';
          return expectedTrail(plan, p.domain, entries.includes(entry) ? entry : entries[0]!, mailbox);
        },
        lastWord: context.lastWord,
      });
      context.report({ name, ...verdict });
    }
  },
};

/** Users first, then aliases that no user shadows, each in a stable order. */
export function addressesOf(domain: Domain): string[] {
  const users = [...domain.users.values()].map((u) => u.address).sort();
  const aliases = [...domain.aliases.values()]
    .filter((a) => !domain.users.has(a.local))
    .map((a) => a.address)
    .sort();
  return [...users, ...aliases];
}
