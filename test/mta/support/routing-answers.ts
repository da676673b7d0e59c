/**
 * What mxplan's routing decides for each recipient at one host (route() at RCPT, then
 * expandRecipients(); or, for mail the host makes itself, both as `internal`), in the words of postfix-answers.ts: a refusal's code and enhanced code,
 * or per final address "local", "forward <host>", "relay <domain>" or "bounce <status>" (a
 * member the host refuses is bounced; Postfix's DSN carries only the status).
 */
import { refusalReply } from '../../../src/mail/replies.js';
import { expandRecipients } from '../../../src/routing/expand.js';
import { hostPolicy } from '../../../src/routing/policy.js';
import { route, type RouteOrigin } from '../../../src/routing/route.js';
import type { Destination } from '../../../src/routing/destination.js';
import type { Plan } from '../../../src/topology/types.js';

export function routingAnswers(
  plan: Plan,
  hostId: string,
  addresses: readonly string[],
  origin: RouteOrigin = 'inbound',
): Map<string, string> {
  const policy = hostPolicy(plan, hostId);
  const answers = new Map<string, string>();
  for (const address of addresses) {
    const decision = route(policy, address, origin);
    if (decision.kind === 'refuse') {
      const reply = refusalReply(decision.address, decision.refusal);
      // Refused at RCPT; mail of the host's own that it refuses is bounced.
      answers.set(
        address,
        origin === 'inbound' ? `rcpt ${reply.code} ${reply.enhanced}` : `${decision.address} bounce ${reply.enhanced}`,
      );
      continue;
    }
    const { targets, failures } = expandRecipients(policy, [address], origin);
    answers.set(
      address,
      [
        ...targets.map((t) => `${t.address} ${fate(t.to)}`),
        ...failures.map((f) => `${f.address} bounce ${refusalReply(f.address, f.refusal).enhanced}`),
      ]
        .sort()
        .join('; '),
    );
  }
  return answers;
}

function fate(to: Destination): string {
  switch (to.kind) {
    case 'local':
      return 'local';
    case 'host':
      return `forward ${to.host.id}`;
    case 'mx':
      return `relay ${to.domain}`;
  }
}

/** Every planned address, an unknown one per domain, and an address outside the plan. */
export function addressesToTry(plan: Plan): string[] {
  const addresses = [...plan.addresses.values()].map((p) => (p.kind === 'user' ? p.user.address : p.alias.address));
  for (const domain of plan.domains.keys()) addresses.push(`no-such-user@${domain}`);
  return [...addresses, 'someone@example.com'];
}
