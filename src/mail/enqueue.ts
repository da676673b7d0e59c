/**
 * Enqueue: a message into the queue, on stable storage before this resolves (the spool's group
 * commit, spool.ts), so whoever is answered afterwards may be told 250 (RFC 5321 §6.1).
 */
import type { Expansion } from '../routing/expand.js';
import type { RelayContext } from './relay-context.js';
import type { StoredEnvelope } from './spool.js';

/**
 * `delivered`: targets already done (written to a Maildir at DATA); `expansion`: the targets,
 * when already worked out at DATA (the queue expands otherwise).
 */
export async function enqueue(
  relay: RelayContext,
  envelope: StoredEnvelope,
  body: Buffer,
  delivered: readonly string[] = [],
  expansion?: Expansion,
): Promise<void> {
  await relay.spool.appendMessage(envelope, body);
  relay.spool.appendDone(envelope.id, delivered, 'delivered');
  relay.queue.add(envelope, body, new Map(delivered.map((address) => [address, 'delivered'])), expansion);
}
