/**
 * From the recipients of one message to its delivery targets: aliases expand recursively, each
 * member is routed on its own, and every final mailbox appears once however many aliases reach
 * it (RFC 5321 §3.9.1: "each recipient ... exactly once"). Cycles stop at the second visit.
 */
import type { Plan } from '../topology/types.js';
import { route, type RouteDecision } from './route.js';
import type { SmtpReply } from './replies.js';

export type TargetAction = Extract<RouteDecision, { kind: 'deliver-local' | 'forward' | 'relay-to-mx' }>;

export interface Target {
  /** The final address (a mailbox, or an address handed on unexpanded). */
  readonly address: string;
  /** The recipient as the envelope gave it (RFC 3461 ORCPT), for DSNs. */
  readonly original: string;
  readonly action: TargetAction;
}

export interface Failure {
  readonly address: string;
  readonly original: string;
  readonly reply: SmtpReply;
}

export interface Expansion {
  readonly targets: readonly Target[];
  /** Members that cannot be delivered (an alias naming an unknown user, say): bounced. */
  readonly failures: readonly Failure[];
}

/**
 * Routes every recipient. `recipients` were accepted at RCPT by `route(..., 'inbound')` (or are
 * generated here), so members of aliases are routed as `internal`: an alias may name an address
 * outside the plan, which is then relayed out through its MX like any MTA would.
 */
export function expandRecipients(
  plan: Plan,
  hostId: string,
  recipients: readonly string[],
  origin: 'inbound' | 'internal' = 'inbound',
): Expansion {
  const targets: Target[] = [];
  const failures: Failure[] = [];
  const seen = new Set<string>();

  const visit = (recipient: string, original: string, memberOrigin: 'inbound' | 'internal') => {
    const decision = route(plan, hostId, recipient, memberOrigin);
    if (seen.has(decision.address)) return; // a cycle, or a mailbox reached twice
    seen.add(decision.address);
    switch (decision.kind) {
      case 'reject':
        failures.push({ address: decision.address, original, reply: decision.reply });
        return;
      case 'expand':
        for (const member of decision.members) visit(member, original, 'internal');
        return;
      default:
        targets.push({ address: decision.address, original, action: decision });
    }
  };
  for (const recipient of recipients) visit(recipient, recipient, origin);
  return { targets, failures };
}

/** The queue's name for where a target goes: one backoff state per destination. */
export function destinationOf(action: TargetAction): string {
  switch (action.kind) {
    case 'deliver-local':
      return 'local';
    case 'forward':
      return `host:${action.hostId}`;
    case 'relay-to-mx':
      return `mx:${action.domain}`;
  }
}
