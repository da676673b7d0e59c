/**
 * From the recipients of one message to its delivery targets: each recipient is routed, an alias
 * gives way to its members (aliases.ts), each member is routed on its own, and every final
 * address appears once however many recipients reach it (RFC 5321 §3.9.1: "each recipient ...
 * exactly once").
 */
import type { Destination } from './destination.js';
import type { HostPolicy } from './policy.js';
import { route, type Refusal, type RouteOrigin } from './route.js';

export interface Target {
  /** The final address (a mailbox, or an address handed on unexpanded). */
  readonly address: string;
  /** The recipient as the envelope gave it (RFC 3461 ORCPT), for DSNs. */
  readonly original: string;
  readonly to: Destination;
}

export interface Failure {
  readonly address: string;
  readonly original: string;
  readonly refusal: Refusal;
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
  policy: HostPolicy,
  recipients: readonly string[],
  origin: RouteOrigin = 'inbound',
): Expansion {
  const targets: Target[] = [];
  const failures: Failure[] = [];
  const seen = new Set<string>();

  const visit = (recipient: string, original: string, memberOrigin: RouteOrigin) => {
    const decision = route(policy, recipient, memberOrigin);
    if (seen.has(decision.address)) return; // a mailbox reached twice
    seen.add(decision.address);
    switch (decision.kind) {
      case 'refuse':
        failures.push({ address: decision.address, original, refusal: decision.refusal });
        return;
      case 'expand':
        for (const member of decision.members) visit(member, original, 'internal');
        return;
      case 'deliver':
        targets.push({ address: decision.address, original, to: decision.to });
    }
  };
  for (const recipient of recipients) visit(recipient, recipient, origin);
  return { targets, failures };
}
