/**
 * What the plan promises, computed from the plan's declarations alone: verify's oracle.
 *
 * Deliberately independent of src/mail (routing, alias expansion in the relay): if the relay's
 * routing were wrong, sharing its code would make verify agree with the bug. This module reads
 * only what the topology says: who is MX at which preference, where each user lives, who is in
 * each alias.
 */
import type { Domain, Plan } from '../topology/types.js';

/** A user's mailbox: the Maildir of `address` on its home host. */
export interface Mailbox {
  readonly hostId: string;
  readonly address: string;
}

export interface DeliveryExpectation {
  /** The address the message is sent to. */
  readonly address: string;
  /** Every mailbox that must hold the message exactly once; no other mailbox may hold it. */
  readonly mailboxes: readonly Mailbox[];
  /** Alias members outside the planned domains: the message leaves the organisation for them. */
  readonly outside: readonly string[];
}

/** Where mail to `address` must land: users are their own mailbox, aliases expand recursively. */
export function expectDelivery(plan: Plan, address: string): DeliveryExpectation {
  const mailboxes = new Map<string, Mailbox>();
  const outside = new Set<string>();
  const visit = (target: string, seen: ReadonlySet<string>) => {
    if (seen.has(target)) return; // a cycle: lint reports it; nothing more arrives through it
    // The plan's own lookup: a user wins over an alias of the same name (topology/address-book.ts).
    const planned = plan.addresses.get(target);
    if (planned?.kind === 'user') return void mailboxes.set(target, { hostId: planned.user.homeId, address: target });
    if (planned?.kind === 'alias')
      for (const member of planned.alias.members) visit(member.address, new Set([...seen, target]));
    else if (!plan.domains.has(target.slice(target.lastIndexOf('@') + 1))) outside.add(target);
  };
  visit(address, new Set());
  return {
    address,
    mailboxes: [...mailboxes.values()].sort((a, b) => a.address.localeCompare(b.address)),
    outside: [...outside].sort(),
  };
}

/** The hosts an Internet sender may hand the message to first: the MX hosts of best preference. */
export function entryHosts(domain: Domain): string[] {
  const best = Math.min(...domain.mx.map((m) => m.preference));
  return domain.mx.filter((m) => m.preference === best && m.host).map((m) => m.host!.id);
}

/**
 * The hosts that take a message to `mailbox` when it enters at `entry`, in order: a relay-only
 * entry hands it to the most preferred MX below it that is up (RFC 5321 §5.1); the first store
 * forwards it to the user's home host unless it is that host.
 */
export function expectedTrail(
  plan: Plan,
  domain: Domain,
  entry: string,
  mailbox: Mailbox,
  down: ReadonlySet<string> = new Set(),
): string[] {
  const trail = [entry];
  const current = plan.hosts.get(entry);
  if (current?.role === 'relay') {
    const mine = domain.mx.find((m) => m.host?.id === entry)?.preference ?? Infinity;
    const next = domain.mx.find((m) => m.preference < mine && m.host && !down.has(m.host.id));
    if (next?.host) trail.push(next.host.id);
  }
  if (trail.at(-1) !== mailbox.hostId) trail.push(mailbox.hostId);
  return trail;
}
