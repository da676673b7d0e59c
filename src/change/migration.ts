/**
 * The order in which a change from one plan to the next can be deployed without losing or
 * bouncing mail, with the waits between the steps computed from TTLs and queue lifetimes.
 *
 * 1. lower-ttl: every RRset that will change gets a short TTL, then wait its old TTL, so no cache
 *    holds a copy longer than the short one (RFC 1035 §3.2.1: the TTL is how long it may be cached);
 * 2. add: new hosts, new MX targets, new addresses, new SPF senders and new recipients on backups
 *    are published (old ones kept), then wait until every cache sees them: the short TTL for an RRset
 *    that existed, the zone's negative-caching TTL for a name or type that did not (RFC 2308 §5);
 * 3. move: mailboxes are copied to their new home before the routing of their address switches,
 *    then copied again for what arrived in between;
 * 4. switch: the final records are published (MX without the old targets, the final SPF, DMARC,
 *    MTA-STS, TLS-RPT), then wait the TTL in force so no sender still uses the old ones;
 * 5. drain: hosts that no longer serve a domain drop it; a retired host keeps its old role (backup
 *    MX, and once the plan has DKIM, its selector) until its queue can be empty: its queue lifetime;
 * 6. retire: retired hosts stop and the records of names that left the plan go;
 * 7. restore-ttl: every TTL returns to the plan's.
 *
 * Steps with nothing to do are left out. Hazards name what the order cannot make safe, and the
 * assumptions say what the model takes for granted.
 */
import type { SourceLocation } from '../diagnostics.js';
import { shown, type RecordChange, type ZoneDiff } from '../dns/diff.js';
import { absoluteName } from '../dns/presentation.js';
import type { ResourceRecord, Zone } from '../dns/records.js';
import { characterStrings } from '../dns/txt.js';
import { duration } from '../dns/zone-file.js';
import type { Domain, Plan } from '../topology/types.js';
import { count, listOf } from '../words.js';
import type { PlanChange } from './plan-changes.js';

export interface MigrationOptions {
  /** The TTL (seconds) records that will change are lowered to first (RFC 1035 §3.2.1). */
  readonly lowTtl: number;
  /** How long a retired host can stay up after the final records are published; unbounded when absent. */
  readonly retireWithin?: number;
}

export const DEFAULT_LOW_TTL = 300;

export type Phase = 'lower-ttl' | 'add' | 'move' | 'switch' | 'drain' | 'retire' | 'restore-ttl';

export interface Action {
  readonly text: string;
  /** The record changes this action publishes. */
  readonly records?: readonly RecordChange[];
}

export interface Step {
  readonly phase: Phase;
  readonly title: string;
  readonly actions: readonly Action[];
  /** Seconds to wait after the step before the next one. */
  readonly wait: number;
  readonly waitReason?: string;
}

export interface Hazard {
  /** unsafe: the change cannot be made without risking mail; caution: it can, with a step outside the plan. */
  readonly severity: 'unsafe' | 'caution';
  readonly message: string;
  readonly at: SourceLocation;
}

export interface Migration {
  readonly steps: readonly Step[];
  readonly hazards: readonly Hazard[];
  readonly assumptions: readonly string[];
}

/** Types whose RRsets hold several independent records: a change adds some and removes others. */
const SET_TYPES = new Set<ResourceRecord['type']>(['MX', 'NS', 'A', 'AAAA', 'PTR']);

export function migrationOrder(
  before: Plan,
  after: Plan,
  zones: { readonly before: readonly Zone[]; readonly after: readonly Zone[] },
  records: readonly ZoneDiff[],
  changes: readonly PlanChange[],
  options: MigrationOptions,
): Migration {
  const { lowTtl } = options;
  const ttls = new TtlBook(zones.before, lowTtl);
  const gone = goneNames(before, after);
  const published: Record<'add' | 'switch' | 'retire' | 'restore-ttl', RecordChange[]> = {
    add: [],
    switch: [],
    retire: [],
    'restore-ttl': [],
  };
  const all = records.flatMap((z) => z.changes);
  const retiredOnly = new Set<RecordChange>();
  for (const change of all) {
    const placed = placeRecord(change, gone);
    for (const [phase, part] of placed) published[phase].push(part);
    if (placed.every(([phase]) => phase === 'retire')) retiredOnly.add(change);
  }

  const steps: Step[] = [];
  // What only goes away with a retired name needs no short TTL: nothing is published in its place.
  const lowered = ttls.lowered(all.filter((c) => c.kind !== 'modify-ttl' && !retiredOnly.has(c)));
  if (lowered.length > 0) {
    const wait = Math.max(...lowered.map((r) => r.ttl));
    steps.push({
      phase: 'lower-ttl',
      title: `lower the TTL of the RRsets that will change to ${lowTtl} s`,
      actions: lowered.map((r) => ({ text: `${absoluteName(r.name)} ${r.type}: TTL ${r.ttl} → ${lowTtl}` })),
      wait,
      waitReason: 'the longest old TTL: until then a cache may hold an old copy',
    });
  }

  const by = <K extends PlanChange['kind']>(...kinds: K[]) =>
    changes.filter((c): c is PlanChange & { kind: K } => (kinds as string[]).includes(c.kind));

  // 2. add
  const addActions: Action[] = [];
  for (const c of by('host-added'))
    addActions.push({ text: `start host ${c.host} (${c.fqdn}) with its configuration under the new plan` });
  for (const c of by('host-changed')) {
    if (c.field === 'ipv4' || c.field === 'ipv6')
      addActions.push({ text: `host ${c.host}: bring up its new ${c.field} addresses (${c.after}) beside the old` });
    if (c.field === 'fqdn') addActions.push({ text: `host ${c.host}: answer as ${c.after} too (certificate, HELO)` });
  }
  for (const c of by('domain-added'))
    addActions.push({
      text: `serve the new zone ${c.domain}, and delegate it to the planned name servers at its parent`,
    });
  const mxAdded = new Set(by('mx').flatMap((c) => c.added.map((t) => `${t}\0${c.domain}`)));
  for (const { host, domain } of servingChanges(before, after, 'gained')) {
    addActions.push({
      text: mxAdded.has(`${host}\0${domain}`)
        ? `host ${host}: accept mail for ${domain} (its recipients, and the homes in force) before it is published as MX`
        : `host ${host}: accept mail for ${domain}, for the mailboxes that move there`,
    });
  }
  for (const c of by('mx')) {
    const domain = after.domains.get(c.domain)!;
    if (domain.mtaSts && c.added.length > 0)
      addActions.push({
        text: `${c.domain}: list the new MX hosts in the MTA-STS policy file first (RFC 8461 §3.2, mx lines)`,
      });
  }
  for (const c of by('backup-recipients'))
    if (c.added.length > 0)
      addActions.push({
        text: `backup ${c.host}: add ${count(c.added.length, 'recipient')} of ${c.domain} (${listOf(c.added, 3)})`,
      });
  for (const c of by('user-added')) addActions.push({ text: `create the mailbox of ${c.address} on ${c.home}` });
  if (published.add.length > 0)
    addActions.push({ text: 'publish the added records (old ones stay)', records: published.add });
  if (addActions.length > 0) {
    const wait = Math.max(0, ...published.add.map((c) => ttls.visibleAfter(c)));
    steps.push({
      phase: 'add',
      title: 'add new hosts, MX targets, senders and recipients before removing old ones',
      actions: addActions,
      wait,
      waitReason:
        wait > 0
          ? 'until every cache sees the added records (the TTL in force, or for a new name the negative-caching TTL, RFC 2308 §5)'
          : undefined,
    });
  }

  // 3. move
  const moves = by('user-moved');
  if (moves.length > 0) {
    steps.push({
      phase: 'move',
      title: 'move mailboxes before switching their routing',
      actions: moves.map((c) => {
        const routers = routingHosts(before, after, c.address);
        return {
          text:
            `${c.address}: copy the mailbox from ${c.from} to ${c.to}; then route it to ${c.to} on ` +
            `${routers.join(', ')}; then copy again what ${c.from} stored in between`,
        };
      }),
      wait: 0,
    });
  }

  // 4. switch
  const switchActions: Action[] = [];
  for (const c of by('alias-added', 'alias-changed', 'alias-removed'))
    switchActions.push({
      text:
        c.kind === 'alias-removed'
          ? `remove alias ${c.address}`
          : `alias ${c.address}: members ${c.after.join(', ') || '(none)'}`,
    });
  for (const c of by('host-changed'))
    if (c.field === 'role' || c.field === 'helo' || c.field === 'sends' || c.field === 'queue lifetime')
      switchActions.push({ text: `host ${c.host}: ${c.field} ${c.before} → ${c.after}` });
  for (const c of by('mta-sts'))
    if (c.after)
      switchActions.push({
        text: `${c.domain}: publish the new MTA-STS policy file before its new id (RFC 8461 §3.1)`,
      });
  for (const c of by('backup-recipients'))
    if (c.removed.length > 0)
      switchActions.push({
        text: `backup ${c.host}: remove ${count(c.removed.length, 'recipient')} of ${c.domain} (${listOf(c.removed, 3)})`,
      });
  for (const c of by('user-removed')) switchActions.push({ text: `delete the mailbox of ${c.address} on ${c.home}` });
  if (published.switch.length > 0) switchActions.push({ text: 'publish the final records', records: published.switch });
  if (switchActions.length > 0) {
    const wait = Math.max(0, ...published.switch.map((c) => ttls.inForce(c)));
    steps.push({
      phase: 'switch',
      title: 'publish the final records and remove the old ones',
      actions: switchActions,
      wait,
      waitReason: wait > 0 ? 'the TTL in force: until then a sender may use the old records' : undefined,
    });
  }

  // 5. drain
  const drainActions: Action[] = [];
  for (const { host, domain } of servingChanges(before, after, 'dropped'))
    drainActions.push({ text: `host ${host}: stop accepting mail for ${domain}` });
  const retired = by('host-retired').map((c) => before.hosts.get(c.host)!);
  for (const host of retired) {
    const roles = servedDomains(before, host.id);
    drainActions.push({
      text:
        `keep ${host.id} (${host.fqdn}) running with its old configuration` +
        (roles.length > 0 ? ` (MX or home for ${roles.join(', ')})` : '') +
        ` until its queue is empty: at most ${duration(host.queueLifetime)}, its queue lifetime`,
    });
  }
  for (const c of by('host-changed'))
    if (c.field === 'ipv4' || c.field === 'ipv6')
      drainActions.push({ text: `host ${c.host}: release its old ${c.field} addresses (${c.before})` });
  if (drainActions.length > 0) {
    const wait = Math.max(0, ...retired.map((h) => h.queueLifetime));
    steps.push({
      phase: 'drain',
      title: 'let hosts that leave a role drain their queues',
      actions: drainActions,
      wait,
      waitReason: wait > 0 ? 'the longest queue lifetime of a retired host' : undefined,
    });
  }

  // 6. retire
  const retireActions: Action[] = retired.map((h) => ({ text: `stop ${h.id} (${h.fqdn})` }));
  if (published.retire.length > 0)
    retireActions.push({ text: 'delete the records of names that left the plan', records: published.retire });
  if (retireActions.length > 0)
    steps.push({
      phase: 'retire',
      title: 'retire hosts and the names that left the plan',
      actions: retireActions,
      wait: 0,
    });

  // 7. restore
  const restoreActions: Action[] = lowered.flatMap((r) => {
    const ttl = finalTtl(r, zones.after);
    return ttl === undefined ? [] : [{ text: `${absoluteName(r.name)} ${r.type}: TTL ${lowTtl} → ${ttl}` }];
  });
  const restoreRecords = published['restore-ttl'].filter(
    (c) => !lowered.some((r) => r.zone === c.zone && r.name === shown(c).name && r.type === shown(c).type),
  );
  if (restoreRecords.length > 0) restoreActions.push({ text: 'publish the new TTLs', records: restoreRecords });
  if (restoreActions.length > 0)
    steps.push({
      phase: 'restore-ttl',
      title: "set every TTL to the plan's (the lowered ones back)",
      actions: restoreActions,
      wait: 0,
    });

  return {
    steps,
    hazards: hazards(before, after, changes, steps, options),
    assumptions: assumptions(options),
  };
}

/** Where each record change goes: additions early, removals late, names leaving the plan last. */
function placeRecord(
  change: RecordChange,
  gone: ReadonlySet<string>,
): ['add' | 'switch' | 'retire' | 'restore-ttl', RecordChange][] {
  const leaves = (r: ResourceRecord) => gone.has(r.name) || (r.type === 'PTR' && gone.has(r.data));
  const removal = (r: ResourceRecord): 'switch' | 'retire' => (leaves(r) ? 'retire' : 'switch');
  switch (change.kind) {
    case 'modify-ttl':
      return [['restore-ttl', change]];
    case 'create':
      return [[SET_TYPES.has(change.after.type) || isSpf(change.after) ? 'add' : 'switch', change]];
    case 'delete':
      return [[SET_TYPES.has(change.before.type) || isSpf(change.before) ? removal(change.before) : 'switch', change]];
    case 'modify': {
      const { before, after, zone } = change;
      // A new preference for the same exchange is one record replaced, not a host added.
      const samePreferred = before.type === 'MX' && after.type === 'MX' && before.data.exchange === after.data.exchange;
      if (SET_TYPES.has(before.type) && !samePreferred) {
        return [
          ['add', { kind: 'create', zone, after }],
          [removal(before), { kind: 'delete', zone, before }],
        ];
      }
      if (isSpf(before) && isSpf(after)) {
        const [was, is] = [spfTerms(before), spfTerms(after)];
        const adds = is.terms.some((t) => !was.terms.includes(t));
        const removes = was.terms.some((t) => !is.terms.includes(t)) || was.all !== is.all;
        if (!adds) return [['switch', change]];
        if (!removes) return [['add', change]];
        // RFC 7208 §4.6: one policy; while senders move it authorises the old and the new ones.
        const union = { ...after, data: characterStrings(unionSpf(was, is)) } as ResourceRecord;
        return [
          ['add', { kind: 'modify', zone, before, after: union }],
          ['switch', { kind: 'modify', zone, before: union, after }],
        ];
      }
      return [['switch', change]];
    }
  }
}

function isSpf(record: ResourceRecord): boolean {
  return record.type === 'TXT' && /^v=spf1( |$)/i.test(record.data.join(''));
}

function spfTerms(record: ResourceRecord): { terms: string[]; all: string } {
  const terms = (record.data as readonly string[]).join('').split(/\s+/).slice(1);
  const all = terms.find((t) => /^[-~?+]?all$/i.test(t)) ?? '';
  return { terms: terms.filter((t) => t !== all), all };
}

/** The new policy's terms, then the old ones it drops, then the new `all`. */
function unionSpf(was: { terms: string[] }, is: { terms: string[]; all: string }): string {
  const terms = [...is.terms, ...was.terms.filter((t) => !is.terms.includes(t))];
  return ['v=spf1', ...terms, ...(is.all ? [is.all] : [])].join(' ');
}

/** Names of hosts and name servers that the old plan has and the new one does not. */
function goneNames(before: Plan, after: Plan): Set<string> {
  const names = (p: Plan) =>
    new Set([...[...p.hosts.values()].map((h) => h.fqdn), ...p.nameservers.map((n) => n.name)]);
  const now = names(after);
  return new Set([...names(before)].filter((n) => !now.has(n)));
}

/** Whether the host accepts mail for the domain: one of its MX hosts or the home of one of its users. */
function serves(domain: Domain, hostId: string): boolean {
  return !domain.nullMx && (domain.homeIds.has(hostId) || domain.mx.some((m) => m.host?.id === hostId));
}

function servedDomains(plan: Plan, hostId: string): string[] {
  return [...plan.domains.values()].filter((d) => serves(d, hostId)).map((d) => d.name);
}

/**
 * Hosts that start accepting mail for a domain (`gained`: a new MX or the home of a moved or new
 * mailbox), or that stay in the plan but stop (`dropped`).
 */
function servingChanges(before: Plan, after: Plan, which: 'gained' | 'dropped'): { host: string; domain: string }[] {
  const [from, to] = which === 'gained' ? [before, after] : [after, before];
  const changes: { host: string; domain: string }[] = [];
  for (const host of to.hosts.keys()) {
    if (which === 'dropped' && !from.hosts.has(host)) continue;
    for (const [name, domain] of to.domains) {
      const other = from.domains.get(name);
      const had = other !== undefined && from.hosts.has(host) && serves(other, host);
      if (serves(domain, host) && !had) changes.push({ host, domain: name });
    }
  }
  return changes;
}

/** The stores that route an address (its domain's MX stores and homes), under either plan. */
function routingHosts(before: Plan, after: Plan, address: string): string[] {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const hosts = new Set<string>();
  for (const plan of [before, after]) {
    const d = plan.domains.get(domain);
    if (!d) continue;
    for (const id of plan.hosts.keys()) if (plan.hosts.get(id)!.role === 'store' && serves(d, id)) hosts.add(id);
  }
  return [...hosts].sort();
}

/** Old TTLs by RRset, and what they are during the migration. */
class TtlBook {
  private readonly old = new Map<string, number>();
  /** Per zone, how long a resolver may cache a negative answer: min(SOA MINIMUM, SOA TTL), RFC 2308 §5. */
  private readonly negative = new Map<string, number>();

  constructor(
    zones: readonly Zone[],
    private readonly low: number,
  ) {
    for (const zone of zones) {
      for (const r of zone.records) {
        this.old.set(key(zone.origin, r.name, r.type), r.ttl);
        if (r.type === 'SOA' && r.name === zone.origin) this.negative.set(zone.origin, Math.min(r.data.minimum, r.ttl));
      }
    }
  }

  /** The RRsets these changes touch whose old TTL is above the low one, once each, in order. */
  lowered(changes: readonly RecordChange[]): { zone: string; name: string; type: string; ttl: number }[] {
    const seen = new Map<string, { zone: string; name: string; type: string; ttl: number }>();
    for (const c of changes) {
      const r = shown(c);
      const k = key(c.zone, r.name, r.type);
      const ttl = this.old.get(k);
      if (ttl !== undefined && ttl > this.low && !seen.has(k))
        seen.set(k, { zone: c.zone, name: r.name, type: r.type, ttl });
    }
    return [...seen.values()];
  }

  /** How long a cache may still hold the old copy of the RRset once the change is published. */
  inForce(change: RecordChange): number {
    const r = shown(change);
    const ttl = this.old.get(key(change.zone, r.name, r.type));
    return ttl === undefined ? this.visibleAfter(change) : Math.min(ttl, this.low);
  }

  /** How long until every cache sees a published change: the TTL in force, or the negative TTL for a new RRset. */
  visibleAfter(change: RecordChange): number {
    const r = shown(change);
    const ttl = this.old.get(key(change.zone, r.name, r.type));
    if (ttl !== undefined) return Math.min(ttl, this.low);
    return this.negative.get(change.zone) ?? 0; // a zone that did not exist: nothing can be cached
  }
}

/** The TTL of an RRset in the new zones, or undefined when it is gone. */
function finalTtl(rrset: { zone: string; name: string; type: string }, after: readonly Zone[]): number | undefined {
  const zone = after.find((z) => z.origin === rrset.zone);
  return zone?.records.find((r) => r.name === rrset.name && r.type === rrset.type)?.ttl;
}

function key(zone: string, name: string, type: string): string {
  return `${zone}\0${name}\0${type}`;
}

function hazards(
  before: Plan,
  after: Plan,
  changes: readonly PlanChange[],
  steps: readonly Step[],
  options: MigrationOptions,
): Hazard[] {
  const found: Hazard[] = [];
  const switchWait = steps.find((s) => s.phase === 'switch')?.wait ?? 0;
  for (const c of changes) {
    switch (c.kind) {
      case 'host-retired': {
        const host = before.hosts.get(c.host)!;
        const window = options.retireWithin;
        if (window === undefined) break;
        const receiving = servedDomains(before, host.id).length > 0;
        if (receiving && window < switchWait) {
          found.push({
            severity: 'unsafe',
            message:
              `host ${host.id} leaves the plan, but senders may still use its MX records for ${duration(switchWait)} ` +
              `after they are removed (the TTL in force), longer than the ${duration(window)} it stays up (the retirement window)`,
            at: c.at,
          });
        } else if (receiving && window < switchWait + host.queueLifetime) {
          found.push({
            severity: 'unsafe',
            message:
              `host ${host.id} leaves the plan ${duration(window)} after the switch (the retirement window), but mail it accepts ` +
              `until then may wait in its queue for ${duration(host.queueLifetime)} (its queue lifetime): what it still holds is lost`,
            at: c.at,
          });
        }
        break;
      }
      case 'user-removed':
        found.push({
          severity: 'caution',
          message: `the mailbox of ${c.address} on ${c.home} is deleted, and mail to the address is refused (550) afterwards`,
          at: c.at,
        });
        break;
      case 'domain-removed':
        found.push({
          severity: 'caution',
          message: `zone ${c.domain} is no longer served: remove its delegation at the parent first, or resolvers find lame name servers`,
          at: c.at,
        });
        break;
      case 'mta-sts': {
        // RFC 8461 §3.1, §5.1: senders fetch a policy again only for a new id. A new policy under
        // the id written in the topology stays unseen for up to the old max_age.
        const old = before.domains.get(c.domain)?.mtaSts;
        const now = after.domains.get(c.domain)?.mtaSts;
        if (old && now && now.id !== undefined && now.id === old.id)
          found.push({
            severity: 'unsafe',
            message:
              `the MTA-STS policy of ${c.domain} changes but its id stays ${now.id}: senders keep the old policy for up to ` +
              `${duration(old.maxAge)} (its max_age) and, in enforce mode, refuse MX hosts it does not name; change mtaSts.id, or remove it so mxplan derives it from the policy`,
            at: now.fields.id ?? now.at,
          });
        break;
      }
      case 'domain-added':
        found.push({
          severity: 'caution',
          message: `zone ${c.domain} is new: delegate it to the planned name servers at its parent (outside the plan)`,
          at: c.at,
        });
        break;
      default:
        break;
    }
  }
  const names = (p: Plan) => p.nameservers.map((n) => `${n.name} ${[...n.ipv4, ...n.ipv6].join(' ')}`).join(', ');
  if (names(before) !== names(after)) {
    found.push({
      severity: 'caution',
      message:
        'the name servers change: update the NS and glue records at every parent zone outside the plan, and keep ' +
        "the old name servers serving until the parents' NS TTL has passed",
      at: after.nameservers[0]?.at ?? after.at,
    });
  }
  return found;
}

function assumptions(options: MigrationOptions): string[] {
  return [
    `records that will change are first lowered to a TTL of ${options.lowTtl} s, and resolvers honour TTLs (RFC 1035 §3.2.1); some clamp very short ones upwards`,
    'a resolver may cache a negative answer for min(SOA MINIMUM, SOA TTL) of the zone (RFC 2308 §5)',
    options.retireWithin === undefined
      ? 'a retired host can stay up as long as the order asks (no shorter retirement window was given to check)'
      : `a retired host stays up ${duration(options.retireWithin)} after the final records are published (the retirement window)`,
    'a host applies a routing change to the mail already in its queue when it is reconfigured (Postfix resolves each recipient again when a message re-enters its active queue)',
    'senders outside the plan retry a failed delivery for days (RFC 5321 §4.5.4.1), so an MX that does not answer delays mail, it does not lose it',
  ];
}
