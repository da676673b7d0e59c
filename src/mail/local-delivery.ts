/**
 * Local delivery: every target of a delivery into its Maildir on this host (maildir.ts: the
 * file is synced before this resolves). A target that fails is deferred; the others still go.
 *
 * Only the routing policy sends a target here, and only for a mailbox it places on this host
 * (src/routing/policy.ts): a relay-only host never writes a Maildir.
 */
import type { Delivery } from './queue.js';
import type { RelayContext } from './relay-context.js';
import { failureDetail, localFailure, REPLIES } from './replies.js';
import { readTrace } from './trace.js';
import type { RecipientOutcome, TransmitResult } from './transmit.js';

export async function deliverLocal(
  relay: RelayContext,
  delivery: Delivery,
  key = deliveryKey(relay, delivery.body, delivery.envelope.id),
): Promise<TransmitResult> {
  const outcomes = new Map<string, RecipientOutcome>();
  const { envelope, body } = delivery;
  for (const target of delivery.targets) {
    try {
      const result = await relay.maildir.deliver(target.address, body, key, envelope.from);
      outcomes.set(target.address, {
        status: 'delivered',
        reply: REPLIES.delivered(envelope.id),
        duplicate: result.duplicate,
      });
    } catch (error) {
      relay.log({
        type: 'error',
        host: relay.policy.host.id,
        message: `maildir of ${target.address}: ${failureDetail(error)}`,
      });
      outcomes.set(target.address, { status: 'deferred', reply: localFailure(error) });
    }
  }
  return { outcomes, unreachable: false };
}

/** The first planned hop's queue id (trace.ts), else this message's own: one copy per key and mailbox. */
export function deliveryKey(relay: RelayContext, body: Buffer, id: string): string {
  return readTrace(body, relay.traceHosts).deliveryKey ?? ownKey(relay, id);
}

/** The key of a message whose trace names no planned hop before this one. */
export function ownKey(relay: RelayContext, id: string): string {
  return `${relay.policy.host.fqdn} ${id}`;
}
