/**
 * What the plan promises, computed from the plan's declarations alone: verify's oracle.
 *
 * Deliberately independent of src/mail (routing, alias expansion in the relay): if the relay's
 * routing were wrong, sharing its code would make verify agree with the bug. This module reads
 * only what the topology says: who is MX at which preference, where each user lives, who is in
 * each alias.
 */
import { canonicalAddress } from '../topology/names.js';
import type { Domain, Plan, User } from '../topology/types.js';

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
  /** Alias members in names the plan does not serve: the message leaves the plan for them. */
  readonly outside: readonly string[];
  /**
   * Addresses inside the plan whose mail the plan itself cannot deliver, each with the plan's
   * reason: the plan loses mail to them, whatever the hosts do.
   */
  readonly lost: readonly LostAddress[];
}

export interface LostAddress {
  readonly address: string;
  /** In the plan's terms ("ben@acme.example is homed on relay, a relay-only host that holds no mailboxes"). */
  readonly why: string;
}

/**
 * Where mail to `address` must land: users are their own mailbox, aliases expand recursively.
 * "Outside the plan" means a name the plan does not serve; any other address is the plan's to
 * deliver, and one it cannot (no mailbox, or one where no mailbox can be) is lost.
 */
export function expectDelivery(plan: Plan, address: string): DeliveryExpectation {
  const mailboxes = new Map<string, Mailbox>();
  const outside = new Set<string>();
  const lost = new Map<string, string>();
  const visit = (target: string, seen: ReadonlySet<string>) => {
    if (seen.has(target)) return; // a cycle: lint reports it; nothing more arrives through it
    // The plan's own lookup: a user wins over an alias of the same name (topology/address-book.ts).
    const planned = plan.addresses.get(target);
    if (planned?.kind === 'user') {
      const why = homeless(planned.user);
      if (why) lost.set(target, why);
      else mailboxes.set(target, { hostId: planned.user.homeId, address: target });
    } else if (planned?.kind === 'alias') {
      for (const member of planned.alias.members) visit(member.address, new Set([...seen, target]));
    } else {
      const why = unplannedInPlan(plan, target);
      if (why) lost.set(target, why);
      else outside.add(target);
    }
  };
  visit(address, new Set());
  return {
    address,
    mailboxes: [...mailboxes.values()].sort((a, b) => a.address.localeCompare(b.address)),
    outside: [...outside].sort(),
    lost: [...lost]
      .map(([lostAddress, why]) => ({ address: lostAddress, why }))
      .sort((a, b) => a.address.localeCompare(b.address)),
  };
}

/** Why a user's home can hold no mailbox: only a planned store holds mailboxes (a relay-only host queues and passes on). */
function homeless(user: User): string | undefined {
  if (!user.home) return `${user.address} is homed on ${user.homeId}, which is not a planned host`;
  if (user.home.role !== 'store')
    return `${user.address} is homed on ${user.home.id}, a relay-only host that holds no mailboxes`;
  return undefined;
}

/**
 * Why an address that is no planned user or alias is still the plan's (and its mail bounces),
 * or undefined when it is outside the plan. The plan's own DNS decides for every name it
 * serves: a planned domain refuses an unknown local part (RFC 5321 §6.1) or publishes a null
 * MX (RFC 7505); any other name in a zone the plan serves has no MX of the plan and no
 * planned host takes mail for it.
 */
function unplannedInPlan(plan: Plan, address: string): string | undefined {
  const name = address.slice(address.lastIndexOf('@') + 1);
  const domain = plan.domains.get(name);
  if (domain?.nullMx) return `${address} is in ${name}, which publishes a null MX (RFC 7505): its mail bounces`;
  if (domain) return `${address} is not a planned address of ${name}: its mail bounces`;
  const zone = servingZone(plan, name);
  if (zone)
    return `${address} is in ${name}, which the plan's own DNS serves (zone ${zone}) without a mail route: its mail bounces`;
  return undefined;
}

/** The closest zone the plan serves that holds `name`: a mail domain, an infrastructure zone or a reverse zone. */
function servingZone(plan: Plan, name: string): string | undefined {
  let zones = zonesByPlan.get(plan);
  if (!zones) {
    zones = new Set([
      ...plan.domains.keys(),
      ...plan.zones.map((z) => z.name),
      ...plan.reverse.filter((r) => r.aligned).map((r) => r.zone),
    ]);
    zonesByPlan.set(plan, zones);
  }
  for (let n = name; ; n = n.slice(n.indexOf('.') + 1)) {
    if (zones.has(n)) return n;
    if (!n.includes('.')) return undefined;
  }
}

const zonesByPlan = new WeakMap<Plan, ReadonlySet<string>>();

/**
 * The addresses the plan publishes for others to write to, with who publishes each: the SOA
 * contact (RFC 1035 §3.3.13 RNAME), DMARC report addresses (RFC 7489 §6.3 rua, ruf) and TLS-RPT
 * mailto: addresses (RFC 8460 §3). Keyed by address, in the order first published.
 */
export function publishedContacts(plan: Plan): Map<string, string[]> {
  const contacts = new Map<string, string[]>();
  const add = (address: string, what: string) => contacts.set(address, [...(contacts.get(address) ?? []), what]);
  add(plan.soa.contact, 'the SOA contact');
  for (const domain of plan.domains.values()) {
    for (const a of domain.dmarc?.rua ?? []) add(a, `DMARC rua of ${domain.name}`);
    for (const a of domain.dmarc?.ruf ?? []) add(a, `DMARC ruf of ${domain.name}`);
    for (const uri of domain.tlsRpt?.rua ?? [])
      if (/^mailto:/i.test(uri)) add(canonicalAddress(uri.slice(7).split('?')[0]!), `TLS-RPT rua of ${domain.name}`);
  }
  return contacts;
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
