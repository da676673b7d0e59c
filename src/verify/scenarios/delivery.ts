/**
 * Scenario 2: the delivery matrix. For every planned address (users and aliases), and every
 * address the plan publishes for others to write to (the SOA contact, report addresses) in a
 * name it serves, an outside MTA delivers one message through MX resolution; each must land in
 * exactly the mailboxes the plan promises, once, nowhere else, by the expected hops (best MX,
 * then the user's home host).
 */
import type { Domain } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import { entryHosts, expectDelivery, expectedTrail, publishedContacts, type DeliveryExpectation } from '../expect.js';
import { hostIdByFqdn, judgeDelivery, judgeNotTaken } from '../judge.js';
import { inParallel } from '../../parallel.js';
import { newProbe, OUTSIDE_SENDER, probeMessage, probeMessageId, waitForMail } from '../probes.js';

export const deliveryScenario: Scenario = {
  name: 'delivery',
  title: 'every address delivers to exactly its mailboxes',
  async run(context) {
    const { plan, sender, mailboxes } = context;
    const probes: {
      name: string;
      domain: Domain | undefined;
      expectation: DeliveryExpectation;
      token: string;
      code: number;
      response: string;
    }[] = [];
    // Null-MX domains included: an address planned there is a promise the plan cannot keep.
    const targets: { name: string; domain: Domain | undefined; address: string }[] = [...plan.domains.values()].flatMap(
      (domain) => addressesOf(domain).map((address) => ({ name: address, domain, address })),
    );
    for (const [address, publishers] of publishedContacts(plan)) {
      // Published but not planned: the plan's own promise when the plan serves its name.
      if (plan.addresses.has(address) || expectDelivery(plan, address).outside.length > 0) continue;
      const domain = plan.domains.get(address.slice(address.lastIndexOf('@') + 1));
      targets.push({ name: `${address} (${publishers.join(', ')})`, domain, address });
    }
    await inParallel(targets, 96, async ({ name, domain, address }) => {
      const token = newProbe();
      const { code, response } = await sender.send(
        OUTSIDE_SENDER,
        address,
        probeMessage(token, OUTSIDE_SENDER, address, `verify delivery to ${address}`),
      );
      probes.push({ name, domain, expectation: expectDelivery(plan, address), token, code, response });
      context.status(`sent ${probes.length} of ${targets.length}`);
    });
    context.status('waiting for every copy to arrive');

    const accepted = probes.filter((p) => p.code === 250);
    await waitForMail(
      mailboxes,
      accepted.map((p) => ({ token: p.token, mailboxes: p.expectation.mailboxes })),
      context.patience,
      context.retry,
    );
    await context.settled();
    await mailboxes.scan();

    const hostOf = hostIdByFqdn(plan);
    for (const p of probes.sort((a, b) => a.expectation.address.localeCompare(b.expectation.address))) {
      const { name, domain } = p;
      if (p.code !== 250) {
        context.report({
          name,
          messageId: probeMessageId(p.token),
          ...judgeNotTaken(p.expectation, 'accepted (250) by an MX host', `${p.code || 'no answer'}: ${p.response}`),
        });
        continue;
      }
      const entries = domain && entryHosts(domain);
      const verdict = judgeDelivery(plan, p.expectation, mailboxes.copiesOf(p.token), {
        ...(domain &&
          entries && {
            expectedTrail: (mailbox, copy) => {
              // The sender picks among equal best preferences at random: the trail starts where it went.
              const entry = hostOf(copy.trail[0] ?? '') ?? '?';
              return expectedTrail(plan, domain, entries.includes(entry) ? entry : entries[0]!, mailbox);
            },
          }),
        lastWord: context.lastWord,
      });
      context.report({ name, messageId: probeMessageId(p.token), ...verdict });
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
