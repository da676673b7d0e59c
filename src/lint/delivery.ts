/**
 * Where a domain's mail ends up once its store MX has expanded the aliases.
 *
 * Lint expands aliases as the relays do (RFC 5321 §3.9): recursively, on the store that accepted
 * the message, each final mailbox once however many aliases reach it, a loop stopping at its
 * second visit; a user wins over an alias of the same name. This is lint's own expansion, over
 * the plan: lint never calls the relay's code, so the two can check each other.
 */
import type { Alias, AliasMember, Domain, Host, Plan, User } from '../topology/types.js';
import { fateOf } from './addresses.js';
import { perPlan, userIndex } from './facts.js';
import { componentsInDependencyOrder } from './graph.js';

/** How an alias reaches a mailbox on some host. */
export interface Reach {
  /** The first mailbox found on that host. */
  readonly user: User;
  /** The alias's own member that leads there: the mailbox itself, or the nested alias. */
  readonly member: AliasMember;
  /** The alias among the members that the mailbox was reached through, when it is not a member itself. */
  readonly through: Alias | undefined;
}

export interface AliasReach {
  /** Per home host of a mailbox the alias reaches, at any depth: the first way there. */
  readonly homes: ReadonlyMap<Host, Reach>;
  /** Some member, at any depth, lies outside the plan: the store relays it out. */
  readonly leavesPlan: boolean;
}

/**
 * What each alias reaches, for every alias the relays expand (an alias shadowed by a user of the
 * same name is never expanded and has no entry). Aliases are taken in dependency order, one
 * strongly connected component (a loop of aliases) at a time, so each alias is expanded once and
 * nesting costs no more than the members it lists times the hosts.
 */
export const aliasReach = perPlan((plan): ReadonlyMap<Alias, AliasReach> => {
  const expanded = [...plan.domains.values()].flatMap((d) =>
    [...d.aliases.values()].filter((a) => !d.users.has(a.local)),
  );
  // The relays deliver to planned addresses of receiving domains only (a null MX domain's are refused).
  const planned = (address: string) => {
    const fate = fateOf(plan, address);
    return fate.kind === 'planned' ? fate.target : fate.kind;
  };
  const nested = (alias: Alias): Alias[] =>
    alias.members.flatMap((m) => {
      const target = planned(m.address);
      return typeof target === 'object' && target.kind === 'alias' ? [target.alias] : [];
    });
  const result = new Map<Alias, AliasReach>();
  for (const component of componentsInDependencyOrder(expanded, nested)) {
    const inComponent = new Set(component);
    // What the component reaches, once: the aliases of a loop reach the same mailboxes.
    const reached = new Map<Host, User>();
    let leavesPlan = false;
    for (const alias of component) {
      for (const member of alias.members) {
        const target = planned(member.address);
        if (target === 'outside') leavesPlan = true;
        else if (typeof target !== 'object')
          continue; // refused or bounced: alias-members-exist
        else if (target.kind === 'user') {
          if (target.user.home && !reached.has(target.user.home)) reached.set(target.user.home, target.user);
        } else if (!inComponent.has(target.alias)) {
          const inner = result.get(target.alias)!;
          for (const [home, { user }] of inner.homes) if (!reached.has(home)) reached.set(home, user);
          leavesPlan ||= inner.leavesPlan;
        }
      }
    }
    // Then, per alias, the first of its own members that leads to each home.
    for (const alias of component) {
      const homes = new Map<Host, Reach>();
      for (const member of alias.members) {
        const target = planned(member.address);
        if (typeof target !== 'object') continue;
        if (target.kind === 'user') {
          const home = target.user.home;
          if (home && !homes.has(home)) homes.set(home, { user: target.user, member, through: undefined });
          continue;
        }
        const via: Iterable<[Host, User]> = inComponent.has(target.alias)
          ? reached
          : [...result.get(target.alias)!.homes].map(([home, reach]) => [home, reach.user]);
        for (const [home, user] of via) if (!homes.has(home)) homes.set(home, { user, member, through: target.alias });
      }
      result.set(alias, { homes, leavesPlan });
    }
  }
  return result;
});

/** Where mail accepted for a domain ends up, seen from the store that accepts it. */
export interface Deliveries {
  /** Home hosts of the domain's users and of every mailbox its aliases reach, at any depth. */
  readonly homes: ReadonlySet<Host>;
  /** Some alias reaches an address outside the plan: the accepting store sends it on. */
  readonly leavesPlan: boolean;
}

export const deliveries = perPlan((plan): ReadonlyMap<Domain, Deliveries> => {
  const { homes: groups } = userIndex(plan);
  const reach = aliasReach(plan);
  const result = new Map<Domain, Deliveries>();
  for (const domain of plan.domains.values()) {
    const homes = new Set<Host>();
    for (const group of groups.get(domain)!.values()) if (group.home) homes.add(group.home);
    let leavesPlan = false;
    for (const alias of domain.aliases.values()) {
      const reached = reach.get(alias);
      if (!reached) continue; // shadowed by a user of the same name
      for (const home of reached.homes.keys()) homes.add(home);
      leavesPlan ||= reached.leavesPlan;
    }
    result.set(domain, { homes, leavesPlan });
  }
  return result;
});

/** Whether store `store`, accepting mail for `domain`, passes some of it on to another host. */
export function forwardsFor(plan: Plan, store: Host, domain: Domain): boolean {
  const { homes, leavesPlan } = deliveries(plan).get(domain)!;
  if (leavesPlan) return true;
  for (const home of homes) if (home !== store) return true;
  return false;
}
