/**
 * Aliases, fully expanded: every final address an alias reaches, nested aliases followed, each
 * address once in the order first reached, a cycle cut at its second visit (lint reports it:
 * alias-cycle). A member that is no planned alias stays as it is, planned user or not: a member
 * outside the plan is relayed out through its MX, an unknown one is refused where it is routed.
 *
 * The expansion depends on the plan alone (every store expands alike, policy.ts), so it is made
 * once per plan and alias, when first asked for: no relay pays for an alias nobody mails.
 */
import type { Alias, Plan } from '../topology/types.js';

const expansions = new WeakMap<Plan, Map<string, readonly string[]>>();

export function aliasMembers(plan: Plan, alias: Alias): readonly string[] {
  let perPlan = expansions.get(plan);
  if (!perPlan) expansions.set(plan, (perPlan = new Map<string, readonly string[]>()));
  let members = perPlan.get(alias.address);
  if (!members) perPlan.set(alias.address, (members = expand(plan, alias)));
  return members;
}

/** Depth first, in the order written; an explicit stack, so a long chain of aliases cannot overflow the call stack. */
function expand(plan: Plan, alias: Alias): string[] {
  const members: string[] = [];
  const seen = new Set([alias.address]);
  const stack = [alias.members[Symbol.iterator]()];
  while (stack.length > 0) {
    const next = stack.at(-1)!.next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const address = next.value.address;
    if (seen.has(address)) continue;
    seen.add(address);
    const planned = plan.addresses.get(address);
    if (planned?.kind === 'alias') stack.push(planned.alias.members[Symbol.iterator]());
    else members.push(address);
  }
  return members;
}
