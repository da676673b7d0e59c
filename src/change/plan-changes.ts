/**
 * What changes between two plans, in the plan's own terms: hosts added, retired or changed,
 * domains added or removed, users who move to another home (or come and go), MX sets and their
 * preferences, the recipient lists of backup MX hosts, and the published policies (SPF, DMARC,
 * MTA-STS, TLS-RPT).
 *
 * Each aspect is one comparer in ASPECTS; each published policy is one entry in POLICIES, so a new
 * kind (DKIM) is one entry there. Things are matched by their plan identity: hosts by id, domains
 * by name, users and aliases by address.
 */
import type { SourceLocation } from '../diagnostics.js';
import { domainDmarc } from '../dns/dmarc.js';
import { mtaStsText, tlsRptText } from '../dns/smtp-tls.js';
import { domainSpf } from '../dns/spf.js';
import type { Domain, Host, Plan } from '../topology/types.js';
import { formatDuration } from '../topology/units.js';

export type PlanChange =
  | { readonly kind: 'host-added'; readonly host: string; readonly fqdn: string; readonly at: SourceLocation }
  | { readonly kind: 'host-retired'; readonly host: string; readonly fqdn: string; readonly at: SourceLocation }
  | {
      readonly kind: 'host-changed';
      readonly host: string;
      readonly field: HostField;
      readonly before: string;
      readonly after: string;
      readonly at: SourceLocation;
    }
  | { readonly kind: 'domain-added' | 'domain-removed'; readonly domain: string; readonly at: SourceLocation }
  | {
      readonly kind: 'user-moved';
      readonly address: string;
      readonly from: string;
      readonly to: string;
      readonly at: SourceLocation;
    }
  | {
      readonly kind: 'user-added' | 'user-removed';
      readonly address: string;
      readonly home: string;
      readonly at: SourceLocation;
    }
  | {
      readonly kind: 'alias-added' | 'alias-removed' | 'alias-changed';
      readonly address: string;
      readonly before: readonly string[];
      readonly after: readonly string[];
      readonly at: SourceLocation;
    }
  | {
      readonly kind: 'mx';
      readonly domain: string;
      /** "10 mail1" (a planned host by id, else the exchange name); "0 ." for the null MX. */
      readonly before: readonly string[];
      readonly after: readonly string[];
      /** Exchanges (host ids or names) that join or leave the MX set. */
      readonly added: readonly string[];
      readonly removed: readonly string[];
      readonly at: SourceLocation;
    }
  | {
      readonly kind: 'backup-recipients';
      /** The relay host that validates the domain's recipients as a backup MX. */
      readonly host: string;
      readonly domain: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
      readonly at: SourceLocation;
    }
  | {
      readonly kind: PolicyKind;
      readonly domain: string;
      readonly before: string | undefined;
      readonly after: string | undefined;
      readonly at: SourceLocation;
    };

export type PlanChangeKind = PlanChange['kind'];

export type HostField = 'fqdn' | 'ipv4' | 'ipv6' | 'role' | 'helo' | 'sends' | 'queue lifetime';

/** A policy a domain publishes in DNS, as the plan states it. */
interface Policy {
  readonly kind: string;
  /** For messages: "SPF". */
  readonly label: string;
  /** The policy in one line, or undefined when the domain publishes none. */
  readonly text: (domain: Domain) => string | undefined;
  readonly at: (domain: Domain) => SourceLocation;
}

/**
 * The policies compared, in output order. MTA-STS includes what only the policy file holds (mode,
 * max_age, RFC 8461 §3.2), since changing it is a change of the plan even when the TXT record stays.
 */
export const POLICIES = [
  { kind: 'spf', label: 'SPF', text: domainSpf, at: (d) => d.spf.at ?? d.at },
  { kind: 'dmarc', label: 'DMARC', text: domainDmarc, at: (d) => d.dmarc?.at ?? d.at },
  {
    kind: 'mta-sts',
    label: 'MTA-STS',
    text: (d) =>
      d.mtaSts &&
      `${mtaStsText(d.mtaSts)} (policy: mode ${d.mtaSts.mode}, ${d.mtaSts.mode === 'none' ? '' : `mx ${d.mtaSts.mx.join(' ')}, `}max_age ${formatDuration(d.mtaSts.maxAge)})`,
    at: (d) => d.mtaSts?.at ?? d.at,
  },
  { kind: 'tls-rpt', label: 'TLS-RPT', text: (d) => d.tlsRpt && tlsRptText(d.tlsRpt), at: (d) => d.tlsRpt?.at ?? d.at },
  // DKIM: one entry here once the plan has selectors and keys.
] as const satisfies readonly Policy[];

export type PolicyKind = (typeof POLICIES)[number]['kind'];

export function policyLabel(kind: PolicyKind): string {
  return POLICIES.find((p) => p.kind === kind)!.label;
}

type Aspect = (before: Plan, after: Plan) => PlanChange[];

/**
 * The comparers, in output order. Per-host MTA configuration (the files `mxplan mta` writes) is
 * one more aspect here once that generator exists: it compares each host's files.
 */
const ASPECTS: readonly Aspect[] = [
  hostChanges,
  domainChanges,
  userChanges,
  aliasChanges,
  mxChanges,
  backupChanges,
  policyChanges,
];

export function planChanges(before: Plan, after: Plan): PlanChange[] {
  return ASPECTS.flatMap((aspect) => aspect(before, after));
}

function hostChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [id, host] of after.hosts) {
    const old = before.hosts.get(id);
    if (!old) {
      changes.push({ kind: 'host-added', host: id, fqdn: host.fqdn, at: host.at });
      continue;
    }
    const fields: [HostField, (h: Host) => string, SourceLocation | undefined][] = [
      ['fqdn', (h) => h.fqdn, host.fields.fqdn],
      ['ipv4', (h) => h.ipv4.join(', ') || '(none)', host.fields.ipv4],
      ['ipv6', (h) => h.ipv6.join(', ') || '(none)', host.fields.ipv6],
      ['role', (h) => h.role, host.fields.role],
      ['helo', (h) => h.helo, host.fields.helo],
      ['sends', (h) => String(h.sends), undefined],
      ['queue lifetime', (h) => formatDuration(h.queueLifetime), host.fields.queue],
    ];
    for (const [field, show, at] of fields) {
      if (show(old) !== show(host))
        changes.push({
          kind: 'host-changed',
          host: id,
          field,
          before: show(old),
          after: show(host),
          at: at ?? host.at,
        });
    }
  }
  for (const [id, host] of before.hosts) {
    if (!after.hosts.has(id)) changes.push({ kind: 'host-retired', host: id, fqdn: host.fqdn, at: host.at });
  }
  return changes;
}

function domainChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [name, domain] of after.domains)
    if (!before.domains.has(name)) changes.push({ kind: 'domain-added', domain: name, at: domain.at });
  for (const [name, domain] of before.domains)
    if (!after.domains.has(name)) changes.push({ kind: 'domain-removed', domain: name, at: domain.at });
  return changes;
}

/** Users of domains on both sides (a domain added or removed takes its users with it). */
function userChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [name, domain] of after.domains) {
    const old = before.domains.get(name);
    if (!old) continue;
    for (const [local, user] of domain.users) {
      const was = old.users.get(local);
      if (!was) changes.push({ kind: 'user-added', address: user.address, home: user.homeId, at: user.at });
      else if (was.homeId !== user.homeId)
        changes.push({ kind: 'user-moved', address: user.address, from: was.homeId, to: user.homeId, at: user.at });
    }
    for (const [local, user] of old.users) {
      if (!domain.users.has(local))
        changes.push({ kind: 'user-removed', address: user.address, home: user.homeId, at: user.at });
    }
  }
  return changes;
}

function aliasChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [name, domain] of after.domains) {
    const old = before.domains.get(name);
    if (!old) continue;
    for (const [local, alias] of domain.aliases) {
      const members = alias.members.map((m) => m.address);
      const was = old.aliases.get(local);
      const wasMembers = was ? was.members.map((m) => m.address) : [];
      if (!was) changes.push({ kind: 'alias-added', address: alias.address, before: [], after: members, at: alias.at });
      else if (wasMembers.join(',') !== members.join(','))
        changes.push({
          kind: 'alias-changed',
          address: alias.address,
          before: wasMembers,
          after: members,
          at: alias.at,
        });
    }
    for (const [local, alias] of old.aliases) {
      if (!domain.aliases.has(local))
        changes.push({
          kind: 'alias-removed',
          address: alias.address,
          before: alias.members.map((m) => m.address),
          after: [],
          at: alias.at,
        });
    }
  }
  return changes;
}

/** An MX entry in plan terms: the host id when the target is planned, else the exchange name. */
function mxTarget(entry: Domain['mx'][number]): string {
  return entry.host?.id ?? (entry.exchange || '.');
}

function mxSet(domain: Domain): string[] {
  if (domain.nullMx) return ['0 .'];
  return domain.mx.map((m) => `${m.preference} ${mxTarget(m)}`);
}

function mxChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [name, domain] of after.domains) {
    const old = before.domains.get(name);
    if (!old) continue;
    const [was, now] = [mxSet(old), mxSet(domain)];
    if (was.join(',') === now.join(',')) continue;
    const targets = (d: Domain) => new Set(d.nullMx ? ['.'] : d.mx.map(mxTarget));
    const [oldTargets, newTargets] = [targets(old), targets(domain)];
    changes.push({
      kind: 'mx',
      domain: name,
      before: was,
      after: now,
      added: [...newTargets].filter((t) => !oldTargets.has(t)),
      removed: [...oldTargets].filter((t) => !newTargets.has(t)),
      at: domain.fields.mx ?? domain.at,
    });
  }
  return changes;
}

/**
 * The recipients a backup MX accepts for a domain: every planned address of the domain, since a
 * backup refuses unknown users at RCPT time (RFC 5321 §6.2: no backscatter). A backup is a relay
 * host among the domain's MX hosts. Keyed by host id and domain name, NUL-separated.
 */
function backupRecipients(plan: Plan): Map<string, ReadonlySet<string>> {
  const lists = new Map<string, ReadonlySet<string>>();
  for (const domain of plan.domains.values()) {
    if (domain.nullMx) continue;
    let addresses: Set<string> | undefined;
    for (const { host } of domain.mx) {
      if (host?.role !== 'relay') continue;
      addresses ??= new Set(
        [...domain.users.values()].map((u) => u.address).concat([...domain.aliases.values()].map((a) => a.address)),
      );
      lists.set(`${host.id}\0${domain.name}`, addresses);
    }
  }
  return lists;
}

/**
 * Changes to the list of a backup that stays a backup of the domain. A host that becomes or stops
 * being one is an MX change (and the migration order loads or drops the whole list then).
 */
function backupChanges(before: Plan, after: Plan): PlanChange[] {
  const [old, now] = [backupRecipients(before), backupRecipients(after)];
  const changes: PlanChange[] = [];
  for (const [key, is] of now) {
    const was = old.get(key);
    if (!was) continue;
    const added = [...is].filter((a) => !was.has(a)).sort();
    const removed = [...was].filter((a) => !is.has(a)).sort();
    if (added.length + removed.length === 0) continue;
    const [host, domain] = key.split('\0') as [string, string];
    changes.push({ kind: 'backup-recipients', host, domain, added, removed, at: after.hosts.get(host)!.at });
  }
  return changes;
}

function policyChanges(before: Plan, after: Plan): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const policy of POLICIES) {
    for (const [name, domain] of after.domains) {
      const old = before.domains.get(name);
      if (!old) continue;
      const [was, is] = [policy.text(old), policy.text(domain)];
      if (was !== is) changes.push({ kind: policy.kind, domain: name, before: was, after: is, at: policy.at(domain) });
    }
  }
  return changes;
}
