/**
 * The plans an engine has run, host by host, and what a switch to a new one does to each host:
 * the part of the contract's switchPlan (engine.ts) that is the same for every engine, the
 * loopback sandbox (sandbox.ts) and the lab (src/lab/lab.ts).
 *
 * - A host only the new plan has is added: it starts first, up before anything routes there.
 * - A host of both plans runs the new plan from now on: reloaded in place when its name, HELO and
 *   addresses stay (`postfix reload`, the relay's reload), restarted on the same endpoint when
 *   one of them changes (Postfix takes inet_interfaces and myhostname only at start).
 * - A host only the old plans have keeps the last plan that had it, so that its queue drains.
 *
 * Certificates: every plan's subjects are kept, so a retired host keeps its certificate while it
 * drains and a new host or a new name gets one from the same CA (openPki keeps what still fits).
 */
import { sameIdentity } from '../mail/relay.js';
import { planSubjects } from '../tls/plan-subjects.js';
import type { TlsSubject } from '../tls/pki.js';
import type { Host, Plan } from '../topology/types.js';

export interface SwitchSteps {
  /** Hosts only the new plan has, in its order. */
  readonly added: readonly Host[];
  /** Hosts of both plans, as the new plan has them, whose name, HELO and addresses stay. */
  readonly reloaded: readonly Host[];
  /** Hosts of both plans, as the new plan has them, whose name, HELO or addresses change. */
  readonly restarted: readonly Host[];
}

export class PlanHistory {
  /** The plan the engine runs: the last one switched to. */
  current: Plan;
  /** The fqdns of the plans before the current one: mail they queued keeps its delivery key (Received trail). */
  readonly earlierHosts = new Set<string>();
  /** The plan each host runs: the current one, or for a retired host the last that had it. */
  private readonly plans: Map<string, Plan>;
  private readonly subjects: Map<string, TlsSubject>;

  constructor(
    plan: Plan,
    private readonly stateDir: string,
  ) {
    this.current = plan;
    this.plans = new Map([...plan.hosts.keys()].map((id) => [id, plan] as const));
    this.subjects = new Map(planSubjects(plan, stateDir).map((s) => [s.id, s]));
  }

  /** Whether the host is of any plan run so far. */
  has(hostId: string): boolean {
    return this.plans.has(hostId);
  }

  /** Every host of every plan run so far, by id. */
  hostIds(): string[] {
    return [...this.plans.keys()];
  }

  /** The plan a host runs. */
  planOf(hostId: string): Plan {
    const plan = this.plans.get(hostId);
    if (!plan) throw new Error(`no host "${hostId}" in any plan run`);
    return plan;
  }

  /** The host as the plan it runs has it. */
  hostOf(hostId: string): Host {
    return this.planOf(hostId).hosts.get(hostId)!;
  }

  /** Records that the host runs `plan` from now on. */
  assign(hostId: string, plan: Plan): void {
    this.plans.set(hostId, plan);
  }

  /** Every TLS subject of every plan so far, for openPki. */
  tlsSubjects(): TlsSubject[] {
    return [...this.subjects.values()];
  }

  /**
   * Begins a switch to `next`: its subjects join the others, the current plan's hosts become
   * earlier ones, and what happens to each host is returned. The hosts' plans are the caller's
   * to assign as each one changes over (`assign`), and `current` becomes `next` when the
   * caller swaps the DNS.
   */
  begin(next: Plan): SwitchSteps {
    for (const host of this.current.hosts.values()) this.earlierHosts.add(host.fqdn);
    for (const subject of planSubjects(next, this.stateDir)) this.subjects.set(subject.id, subject);
    const added: Host[] = [];
    const reloaded: Host[] = [];
    const restarted: Host[] = [];
    for (const host of next.hosts.values()) {
      if (!this.plans.has(host.id)) added.push(host);
      else if (sameIdentity(this.hostOf(host.id), host)) reloaded.push(host);
      else restarted.push(host);
    }
    return { added, reloaded, restarted };
  }
}

/** Runs calls of `work` one at a time, in order; one that failed does not stop the next. */
export function oneAtATime<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (...args) => {
    const run = last.then(() => work(...args));
    last = run.catch(() => {});
    return run;
  };
}
