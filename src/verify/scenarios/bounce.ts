/**
 * Scenario 6: a message that cannot be delivered within the queue lifetime comes back. A user's
 * home host stays down past the lifetime: the MX that queued the message sends one DSN
 * (RFC 3464) to the sender, and the message lands nowhere, not even when the host returns.
 * Runs on a running plan of its own with a queue lifetime of seconds.
 */
import type { Plan, User } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import { newProbe, probeMessage, probeMessageId, waitForMail } from '../probes.js';

/** Seconds: long enough for the first attempts, short enough to wait for. */
const LIFETIME = 1;

export const bounceScenario: Scenario = {
  name: 'bounce',
  title: 'undeliverable mail returns one DSN to its sender',
  isolated: true,
  async run(context) {
    const pair = bouncePair(context.plan);
    if (!pair) {
      context.report({
        name: 'bounce',
        status: 'skip',
        note: 'no user whose domain has another MX and a sender homed elsewhere',
      });
      return;
    }
    const { recipient, sender } = pair;
    const name = `${recipient.address} with ${recipient.homeId} down past the queue lifetime, from ${sender.address}`;
    await using isolated = await context.isolated({ queueLifetime: LIFETIME });
    await isolated.engine.down(recipient.homeId);
    const token = newProbe();
    const outcome = await isolated.sender.send(
      sender.address,
      recipient.address,
      probeMessage(token, sender.address, recipient.address, 'verify bounce'),
    );
    if (outcome.code !== 250) {
      context.report({
        name,
        messageId: probeMessageId(token),
        status: 'fail',
        expected: 'accepted by another MX',
        observed: `${outcome.code || 'no answer'}: ${outcome.response}`,
      });
      return;
    }
    const dsn = { token, mailboxes: [{ hostId: sender.homeId, address: sender.address }], dsn: true };
    await waitForMail(isolated.mailboxes, [dsn], context.patience + LIFETIME * 1000, isolated.retry);
    await isolated.engine.up(recipient.homeId);
    await isolated.engine.retryNow();
    // The returned host gets its chance to (wrongly) receive it: a queue still holding the message
    // is due at once after retryNow, and settled waits for that attempt to land (not a fixed pause).
    await isolated.settled();
    await isolated.mailboxes.scan();

    const copies = isolated.mailboxes.copiesOf(token);
    const dsns = copies.filter((c) => c.dsn);
    const delivered = copies.filter((c) => !c.dsn);
    const observed = `${dsns.length} DSN(s) in ${dsns.map((c) => `${c.address} on ${c.hostId}`).join(', ') || 'no mailbox'}; the message in ${delivered.map((c) => `${c.address} on ${c.hostId}`).join(', ') || 'no mailbox'}`;
    const ok =
      dsns.length === 1 &&
      dsns[0]!.address === sender.address &&
      dsns[0]!.hostId === sender.homeId &&
      delivered.length === 0;
    context.report({
      name,
      messageId: probeMessageId(token),
      status: ok ? 'pass' : 'fail',
      ...(!ok && { expected: `one DSN in ${sender.address} on ${sender.homeId}; the message nowhere`, observed }),
      ...(ok && { note: observed }),
    });
  },
};

/**
 * A recipient whose domain has an MX other than its home host (so the message is accepted and
 * queued), and a sender the DSN can reach while that host is down: homed elsewhere, in a domain
 * with a store MX other than that host.
 */
function bouncePair(plan: Plan): { recipient: User; sender: User } | undefined {
  const users = [...plan.domains.values()]
    .filter((d) => !d.nullMx)
    .flatMap((d) => [...d.users.values()].sort((a, b) => a.address.localeCompare(b.address)));
  // Only a store holds a mailbox for the DSN (a user homed elsewhere is the delivery scenario's failure).
  const reachableWithout = (user: User, down: string) =>
    user.home?.role === 'store' &&
    user.homeId !== down &&
    plan.domains.get(user.domain)!.mx.some((m) => m.host?.role === 'store' && m.host.id !== down);
  for (const recipient of users) {
    if (recipient.home?.role !== 'store') continue;
    const domain = plan.domains.get(recipient.domain)!;
    if (!domain.mx.some((m) => m.host && m.host.id !== recipient.homeId)) continue;
    const sender = users.find((u) => reachableWithout(u, recipient.homeId));
    if (sender) return { recipient, sender };
  }
  return undefined;
}
