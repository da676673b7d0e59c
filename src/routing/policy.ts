/**
 * The routing policy of one planned host, a pure function of (plan, host): which domains it
 * accepts and how, whom it stores, whom it forwards and where, what its aliases reach. Two
 * readers: the relays (RCPT validation and the way of each recipient, through route.ts and
 * expand.ts) and the MTA configuration generator, which prints the tables. Verify's oracle never
 * reads it (src/verify/expect.ts works from the plan alone).
 *
 * Postfix's address classes (ADDRESS_CLASS_README) are the model:
 * - a store is the final destination (a virtual mailbox domain) of every domain it is an MX of or
 *   stores mailboxes of. It stores its own users, forwards every other planned user to the user's
 *   home (transport_maps `smtp:[home]`), and expands every alias (virtual_alias_maps): a store
 *   knows the whole organisation, and its accepted domains only limit what clients may send it;
 * - a relay-only host is final for nothing and holds no mailboxes, whoever the plan homes on it:
 *   it relays for the domains it is an MX of (relay_domains), validates recipients against every
 *   planned address of them (relay_recipient_maps), and hands the mail, unexpanded, to a more
 *   preferred MX (RFC 5321 §5.1);
 * - a null-MX domain receives no mail (RFC 7505); any other domain is relaying: refused inbound.
 *
 * Cheap to make: the classifiers the relays call per recipient take constant time, and each table
 * is an iterator over the plan, paid for only by whoever walks it (a generator printing maps), so
 * a relay on a million-user plan builds no table at all.
 */
import type { Alias, Domain, Host, Plan, PlannedAddress, SmtpLimits, User } from '../topology/types.js';
import { LOCAL, type Destination } from './destination.js';
import { aliasMembers } from './aliases.js';

/**
 * How a host takes mail for a domain from an SMTP client:
 * - `final`: a virtual mailbox domain (it stores the domain's mailboxes or is a store among its MX);
 * - `backup`: a relay domain (a relay-only host among its MX), passed on to a more preferred MX.
 */
export type DomainRole = 'final' | 'backup';

export interface ForwardedUser {
  readonly user: User;
  /** The user's home: a planned host other than this one. */
  readonly to: Host;
}

export interface ExpandedAlias {
  readonly alias: Alias;
  /** Every final address it reaches, nested aliases expanded, once each, cycles cut (aliases.ts). */
  readonly members: readonly string[];
}

/**
 * Bytes a message may have (RFC 1870 SIZE; Postfix message_size_limit, whose default it is). The
 * plan has no field for it yet: every host takes the same.
 */
export const MESSAGE_SIZE_LIMIT = 10_240_000;
/** Recipients one transaction may carry: RFC 5321 §4.5.3.1.8's minimum (Postfix smtpd_recipient_limit). */
export const RECIPIENT_LIMIT = 100;

export class HostPolicy {
  /** RFC 5321 §6.3: a message with this many Received headers is a loop (Postfix hopcount_limit). */
  readonly hopLimit: number;
  /** Seconds a message may wait in this host's queue before it bounces (Postfix maximal_queue_lifetime). */
  readonly queueLifetime: number;
  /**
   * The SMTP sessions it serves at once, in all and per client address: the relay's admission
   * (mail/admission.ts) and Postfix's smtpd process limit and smtpd_client_connection_count_limit.
   */
  readonly smtpLimits: SmtpLimits;
  /** Bytes a message may have (Postfix message_size_limit). */
  readonly messageSizeLimit = MESSAGE_SIZE_LIMIT;
  /** Recipients per transaction, taken and sent (Postfix smtpd_recipient_limit). */
  readonly recipientLimit = RECIPIENT_LIMIT;
  private readonly hostDestinations = new Map<string, Destination>();
  private postmasterDomainFound: { readonly domain: string | undefined } | undefined;
  private readonly mxDestinations = new Map<string, Destination>();

  constructor(
    readonly plan: Plan,
    readonly host: Host,
    /** The fqdns of every planned host: the hosts whose Received headers are trusted (mail/trace.ts). */
    readonly plannedHosts: ReadonlySet<string>,
  ) {
    this.hopLimit = plan.hopLimit;
    this.queueLifetime = host.queueLifetime;
    this.smtpLimits = host.smtp;
  }

  /** How this host accepts the domain from a client; undefined: relaying (refused), or a null MX. */
  domainRole(domain: Domain): DomainRole | undefined {
    if (domain.nullMx) return undefined;
    // Called at every RCPT: one set lookup and a walk over a few MX records, never over the users.
    const isMx = domain.mx.some((m) => m.host?.id === this.host.id);
    if (this.host.role === 'relay') return isMx ? 'backup' : undefined;
    return isMx || domain.homeIds.has(this.host.id) ? 'final' : undefined;
  }

  /**
   * Where mail this host takes for a planned user goes: its own mailbox, the user's home, or (on a
   * relay-only host) the domain's MX; undefined when the plan homes the user on no planned host.
   */
  userDestination(user: User): Destination | undefined {
    if (this.host.role === 'relay') return this.toMx(user.domain);
    if (user.homeId === this.host.id) return LOCAL;
    return user.home && this.toHost(user.home);
  }

  /**
   * The domain a bare `postmaster` (RFC 5321 §4.5.1, no domain) belongs to: the first domain in
   * plan order this host is final or backup for (Postfix: myorigin, which qualifies it);
   * undefined for a host that serves none. Found once.
   */
  get postmasterDomain(): string | undefined {
    if (this.postmasterDomainFound === undefined)
      this.postmasterDomainFound = {
        domain: [...this.plan.domains.values()].find((d) => this.domainRole(d) !== undefined)?.name,
      };
    return this.postmasterDomainFound.domain;
  }

  /** The destination of a planned host (one object per host: routing allocates none per recipient). */
  toHost(host: Host): Destination {
    let destination = this.hostDestinations.get(host.id);
    if (!destination) this.hostDestinations.set(host.id, (destination = { kind: 'host', host }));
    return destination;
  }

  /** Delivery through a domain's MX records; kept per planned domain, made afresh for any other. */
  toMx(domain: string): Destination {
    const known = this.mxDestinations.get(domain);
    if (known) return known;
    const destination: Destination = { kind: 'mx', domain };
    if (this.plan.domains.has(domain)) this.mxDestinations.set(domain, destination);
    return destination;
  }

  // The tables. Each is made on demand, in plan order; whoever prints them sorts.

  /** Postfix virtual_mailbox_domains: the domains this host is the final destination of. */
  finalDomains(): Domain[] {
    return this.domainsWith('final');
  }

  /** Postfix relay_domains: the domains this host is a backup MX of. */
  backupDomains(): Domain[] {
    return this.domainsWith('backup');
  }

  /** Domains that receive no mail (RFC 7505 null MX): recipients there are refused with 556. */
  nullMxDomains(): Domain[] {
    return [...this.plan.domains.values()].filter((d) => d.nullMx);
  }

  /**
   * Planned domains that receive mail and that this store takes in no role. Mail it makes for one
   * (an alias member) goes to each user's home (forwardedUsers); an address the plan does not have
   * there is refused here, never sent to the domain's MX to learn that (route(): unknown-user).
   * None on a relay-only host, which hands everything to the MX.
   */
  otherDomains(): Domain[] {
    if (this.host.role === 'relay') return [];
    return [...this.plan.domains.values()].filter((d) => !d.nullMx && !this.domainRole(d));
  }

  /** The valid recipients of a domain (RCPT validation; a backup's relay_recipient_maps): its users and aliases. */
  recipients(domain: Domain): IterableIterator<PlannedAddress> {
    return this.plan.addresses.inDomain(domain);
  }

  /** The mailboxes this host stores: none on a relay-only host. */
  *storedUsers(): IterableIterator<User> {
    if (this.host.role === 'relay') return;
    for (const user of this.plannedUsers()) if (this.userDestination(user) === LOCAL) yield user;
  }

  /** Postfix transport_maps: every planned user homed on another planned host, with that host. */
  *forwardedUsers(): IterableIterator<ForwardedUser> {
    if (this.host.role === 'relay') return; // no transport map: everything goes to the MX
    for (const user of this.plannedUsers()) {
      const destination = this.userDestination(user);
      if (destination?.kind === 'host') yield { user, to: destination.host };
    }
  }

  /** Users homed on a host the plan does not have: refused at RCPT with 451 (a plan error lint reports). */
  *unplacedUsers(): IterableIterator<User> {
    if (this.host.role === 'relay') return;
    for (const user of this.plannedUsers()) if (!this.userDestination(user)) yield user;
  }

  /**
   * Postfix virtual_alias_maps: every planned alias, fully expanded, with members outside the plan
   * kept as they are. A relay-only host expands nothing: the primary does.
   */
  *aliases(): IterableIterator<ExpandedAlias> {
    if (this.host.role === 'relay') return;
    for (const domain of this.plan.domains.values()) {
      if (domain.nullMx) continue;
      for (const planned of this.recipients(domain))
        if (planned.kind === 'alias') yield { alias: planned.alias, members: aliasMembers(this.plan, planned.alias) };
    }
  }

  private domainsWith(role: DomainRole): Domain[] {
    return [...this.plan.domains.values()].filter((d) => this.domainRole(d) === role);
  }

  /** Users of every domain that receives mail (a null-MX domain's users are refused, whatever their home). */
  private *plannedUsers(): IterableIterator<User> {
    for (const domain of this.plan.domains.values()) if (!domain.nullMx) yield* domain.users.values();
  }
}

const policies = new WeakMap<Plan, { plannedHosts: ReadonlySet<string>; hosts: Map<string, HostPolicy> }>();

/** The policy of a planned host; made once per (plan, host), so every caller shares its caches. */
export function hostPolicy(plan: Plan, hostId: string): HostPolicy {
  let perPlan = policies.get(plan);
  if (!perPlan) {
    perPlan = { plannedHosts: new Set([...plan.hosts.values()].map((h) => h.fqdn)), hosts: new Map() };
    policies.set(plan, perPlan);
  }
  let policy = perPlan.hosts.get(hostId);
  if (!policy) {
    const host = plan.hosts.get(hostId);
    if (!host) throw new Error(`hostPolicy: host "${hostId}" is not in the plan`);
    perPlan.hosts.set(hostId, (policy = new HostPolicy(plan, host, perPlan.plannedHosts)));
  }
  return policy;
}
