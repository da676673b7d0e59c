/**
 * `mxplan verify <new> --from <old>`: the migration, proven on a running plan. The engine runs the
 * old plan; mail is sent in four waves to the addresses the change concerns (those whose mailboxes
 * differ between the plans, and one of each domain whose MX changes, or otherwise one of each
 * domain as a control):
 *
 *   1. before the switch, every host up: delivered under the old plan;
 *   2. with the old homes of moved mailboxes down: the stores that forward to them hold it;
 *   3. with the best MX of each domain down too: the backup MX hosts hold it;
 *   then the engine switches every host and the DNS to the new plan (switchPlan) while that mail
 *   waits, and the hosts come back up;
 *   4. after the switch, to the new plan's MX.
 *
 * Every message must land exactly once per final address, in the mailbox of the address's home
 * under the plan in force when it arrived: copies found before the switch under the old plan,
 * copies that arrived after it under the new (one that arrived during the switch under either).
 * A copy delivered to an old home before the switch is not lost: it is listed "to migrate", with
 * its count, as the migration's move step copies it on. What is expected comes from the plans
 * alone (expect.ts), never from the routing the hosts run.
 */
import type { Domain, Plan } from '../../topology/types.js';
import { inParallel } from '../../parallel.js';
import type { Scenario, VerifyContext } from '../context.js';
import { entryHosts, expectDelivery, type DeliveryExpectation } from '../expect.js';
import { describeCopies, judgeNotTaken, type Verdict } from '../judge.js';
import { MailboxIndex, type Copy } from '../mailboxes.js';
import { addressesOf, newProbe, OUTSIDE_SENDER, probeMessage, recipientIn, waitForMail } from '../probes.js';
import { outsideResolver } from '../resolver.js';
import { InternetSender, type MxResolver } from '../sender.js';
import { count, listOf } from '../../words.js';

export function migrationScenario(to: Plan): Scenario {
  return {
    name: 'migration',
    title: 'every message lands once, in its home under the plan in force',
    run: (context) => migrate(context, to),
  };
}

/** An address the migration concerns, with both plans' promises for it. */
export interface MigrationTarget {
  readonly address: string;
  readonly domain: string;
  readonly before: DeliveryExpectation;
  readonly after: DeliveryExpectation;
}

/**
 * The addresses of domains in both plans, planned in both, that the change concerns: each whose
 * mailboxes differ; for a domain with none, one address (postmaster, else its first user), so
 * that a changed MX set, or the switch itself, is seen by one message at least. An address either
 * plan loses whatever the hosts do (a plan defect lint reports) is left out.
 */
export function migrationTargets(from: Plan, to: Plan): MigrationTarget[] {
  const targets: MigrationTarget[] = [];
  const target = (address: string, domain: string): MigrationTarget | undefined => {
    if (!from.addresses.has(address) || !to.addresses.has(address)) return undefined;
    const before = expectDelivery(from, address);
    const after = expectDelivery(to, address);
    if (before.lost.length + after.lost.length > 0) return undefined;
    return { address, domain, before, after };
  };
  for (const [name, domain] of to.domains) {
    const old = from.domains.get(name);
    if (!old || old.nullMx || domain.nullMx) continue;
    const changed = addressesOf(domain)
      .map((a) => target(a, name))
      .filter((t): t is MigrationTarget => t !== undefined && mailboxKey(t.before) !== mailboxKey(t.after));
    const control = recipientIn(domain);
    const one = changed.length === 0 && control ? target(control, name) : undefined;
    targets.push(...changed, ...(one ? [one] : []));
  }
  return targets;
}

function mailboxKey(e: DeliveryExpectation): string {
  return e.mailboxes.map((m) => `${m.address} ${m.hostId}`).join(',');
}

type Phase = 'before' | 'during' | 'after';

/** A copy and when it was first seen: before the switch, during it, or after. */
export type PhasedCopy = Copy & { readonly phase: Phase };

export interface MigrationVerdict {
  readonly verdict: Verdict;
  /** Copies delivered before the switch to a mailbox that is not the address's home under the new plan. */
  readonly toMigrate: readonly { readonly address: string; readonly hostId: string }[];
}

/**
 * One message's copies against both plans: each final address once, where its home is under the
 * plan in force when the copy arrived, and every final address of one plan reached.
 */
export function judgeMigrated(target: MigrationTarget, copies: readonly PhasedCopy[]): MigrationVerdict {
  const { before, after } = target;
  const expected = `once in each of ${describeCopies(before.mailboxes)} (before the switch) or ${describeCopies(after.mailboxes)} (after)`;
  const fail = (observed: string, trail?: readonly string[]): MigrationVerdict => ({
    verdict: { status: 'fail', expected, observed, ...(trail && { trail }) },
    toMigrate: [],
  });
  const dsn = copies.find((c) => c.dsn);
  if (dsn) return fail(`bounced: a delivery status notification reached ${dsn.address} on ${dsn.hostId}`);
  const mail = copies.filter((c) => !c.dsn);
  const at = (e: DeliveryExpectation, c: Copy) =>
    e.mailboxes.some((m) => m.address === c.address && m.hostId === c.hostId);
  for (const c of mail) {
    const right =
      c.phase === 'before' ? at(before, c) : c.phase === 'after' ? at(after, c) : at(before, c) || at(after, c);
    if (!right) {
      const home = (c.phase === 'before' ? before : after).mailboxes.find((m) => m.address === c.address);
      return fail(
        `${c.address} on ${c.hostId} ${c.phase === 'during' ? 'during' : c.phase} the switch${
          home ? `, where its home was ${home.hostId}` : ', which that plan does not deliver to'
        }`,
        c.trail,
      );
    }
  }
  const counts = new Map<string, PhasedCopy[]>();
  for (const c of mail) counts.set(c.address, [...(counts.get(c.address) ?? []), c]);
  for (const [address, list] of counts)
    if (list.length > 1) return fail(`${list.length} copies for ${address}: ${describeCopies(list)}`, list[1]!.trail);
  const reached = (e: DeliveryExpectation) => e.mailboxes.every((m) => counts.has(m.address));
  if (!reached(before) && !reached(after)) return fail(`arrived: ${describeCopies(mail)}`);
  return {
    verdict: { status: 'pass', trail: mail[0]?.trail ?? [] },
    toMigrate: mail
      .filter((c) => c.phase === 'before' && !at(after, c))
      .map((c) => ({ address: c.address, hostId: c.hostId })),
  };
}

interface Wave {
  readonly label: string;
  /** Hosts down while it is sent (and over the switch). */
  readonly down: readonly string[];
}

interface Sent {
  readonly target: MigrationTarget;
  readonly wave: Wave;
  readonly token: string;
  readonly code: number;
  readonly response: string;
}

async function migrate(context: VerifyContext, to: Plan): Promise<void> {
  const { plan: from, engine } = context;
  const targets = migrationTargets(from, to);
  if (targets.length === 0) {
    context.report({ name: 'the change', status: 'skip', note: 'no address of both plans to send to' });
    return;
  }
  const waves = plannedWaves(from, targets);
  const sent: Sent[] = [];

  // Wave 1, then the outages of waves 2 and 3: their mail waits across the switch.
  const first = await send(context, context.sender, waves.before, targets, sent);
  await waitForMail(
    context.mailboxes,
    first.filter((s) => s.code === 250).map((s) => ({ token: s.token, mailboxes: s.target.before.mailboxes })),
    context.patience,
    context.retry,
  );
  const down = new Set<string>();
  let queuedOnBackups = 0;
  for (const wave of waves.queued) {
    for (const id of wave.down) if (!down.has(id)) await engine.down(id);
    wave.down.forEach((id) => down.add(id));
    const reachable = targets.filter((t) => mxUp(from.domains.get(t.domain)!, down));
    await send(context, context.sender, wave, reachable, sent);
  }
  const backups = [...from.hosts.values()].filter((h) => h.role === 'relay' && !down.has(h.id));
  for (const h of backups) queuedOnBackups += (await engine.queued(h.id))?.length ?? 0;
  await context.settled();

  // The switch: what the mailboxes hold now arrived under the old plan.
  await context.mailboxes.scan();
  const seenBefore = new Set(sent.flatMap((s) => context.mailboxes.copiesOf(s.token).map((c) => c.file)));
  context.status('switching every host and the DNS to the new plan');
  await engine.switchPlan(to);
  const index = new MailboxIndex(new Map([...engine.hosts.keys()].map((id) => [id, engine.maildirRoot(id)])));
  const unsubscribe = engine.onActivity((a) => {
    if (a.type === 'delivered' && a.to === 'maildir') index.touch(a.host, a.recipient);
  });
  try {
    await index.scan();
    const seenDuring = new Set(sent.flatMap((s) => index.copiesOf(s.token).map((c) => c.file)));
    for (const id of down) await engine.up(id);
    await engine.retryNow();

    // Wave 4 through the new DNS, by a sender that has cached nothing; then wave 5, with the new
    // plan's best MX down, to its backups.
    const resolver = outsideResolver(engine.dns, { timeoutMs: 1000, tries: 2 });
    const sender = new InternetSender(resolver, engine.connector);
    const newBackups = [...to.hosts.values()].filter((h) => h.role === 'relay');
    let queuedAfter = 0;
    try {
      await send(context, sender, waves.after, targets, sent);
      const later = backupWave(to, targets, 'after the switch');
      if (later) {
        // Wave 4 delivered first: a host stopped in the middle of a session may deliver it again
        // later (RFC 1047: the next hop took it, the stopped host never heard the reply), which
        // is no fault of the migration.
        await context.settled();
        for (const id of later.down) await engine.down(id);
        try {
          const reachable = targets.filter((t) => mxUp(to.domains.get(t.domain)!, new Set(later.down)));
          await send(context, sender, later, reachable, sent);
          for (const h of newBackups) queuedAfter += (await engine.queued(h.id))?.length ?? 0;
        } finally {
          for (const id of later.down) await engine.up(id);
        }
        await engine.retryNow();
      }
    } finally {
      sender.close();
    }
    await checkMx(context, resolver, from, to, targets);
    context.status('waiting for every message to arrive');
    await waitForMail(
      index,
      sent
        .filter((s) => s.code === 250 && s.wave !== waves.before)
        .map((s) => ({ token: s.token, mailboxes: s.target.after.mailboxes })),
      context.patience,
      context.retry,
    );
    await context.settled();
    await index.scan();

    const toMigrate = new Map<string, number>();
    for (const s of sent) {
      const name = `${s.target.address} ${s.wave.label}`;
      if (s.code !== 250) {
        context.report({
          name,
          ...judgeNotTaken(s.target.before, 'accepted (250) by an MX host', `${s.code || 'no answer'}: ${s.response}`),
        });
        continue;
      }
      const copies = index.copiesOf(s.token).map((c): PhasedCopy => ({
        ...c,
        phase: seenBefore.has(c.file) ? 'before' : seenDuring.has(c.file) ? 'during' : 'after',
      }));
      const { verdict, toMigrate: old } = judgeMigrated(s.target, copies);
      const why =
        verdict.status === 'fail' && !verdict.observed?.startsWith('bounced')
          ? context.lastWord(s.target.address)
          : undefined;
      context.report({ name, ...verdict, ...(why && { note: why }) });
      for (const o of old)
        toMigrate.set(`${o.address} on ${o.hostId}`, (toMigrate.get(`${o.address} on ${o.hostId}`) ?? 0) + 1);
    }
    context.report({
      name: 'mail already delivered to an old home (to migrate)',
      status: 'pass',
      note: migrateNote(toMigrate),
    });
    const held = (name: string, hosts: readonly { id: string }[], n: number) =>
      context.report({
        name,
        ...(n > 0
          ? { status: 'pass', note: `${count(n, 'message')} held by ${hosts.map((h) => h.id).join(', ')}` }
          : {
              status: 'fail',
              expected: 'messages waiting on a backup MX',
              observed: `${hosts.map((h) => h.id).join(', ')} held none`,
            }),
      });
    // With the best MX of a domain down, its backup holds the mail while the switch happens.
    const lastDown = new Set(waves.queued.at(-1)?.down ?? []);
    if (targets.some((t) => backedUpWhileDown(from.domains.get(t.domain)!, lastDown)))
      held('mail queued on the backup MX hosts across the switch', backups, queuedOnBackups);
    if (backupWave(to, targets, 'after the switch'))
      held("mail queued on the new plan's backup MX hosts", newBackups, queuedAfter);
  } finally {
    unsubscribe();
  }
}

/** Wave 1, the queued waves (old homes down, then the best MX too), and wave 4. */
function plannedWaves(from: Plan, targets: readonly MigrationTarget[]): { before: Wave; queued: Wave[]; after: Wave } {
  // The old homes of the mailboxes that move: a mailbox of the old plan that the new one has elsewhere.
  const homes = [
    ...new Set(
      targets.flatMap((t) =>
        t.before.mailboxes
          .filter((m) => !t.after.mailboxes.some((n) => n.address === m.address && n.hostId === m.hostId))
          .map((m) => m.hostId),
      ),
    ),
  ].filter((id) => from.hosts.get(id)?.role === 'store');
  const queued: Wave[] = [];
  if (homes.length > 0)
    queued.push({ label: `queued on a store while ${list(homes).join(', ')} ${verb(homes)} down`, down: list(homes) });
  // The stores that take the moved mailboxes' mail and hold it for the old homes stay up across
  // the switch, so that a running host is reconfigured with mail in its queue; the best MX of
  // the other domains goes down, so that their mail waits on the backups.
  const moved = new Set(
    targets.filter((t) => mailboxKey(t.before) !== mailboxKey(t.after)).map((t) => from.domains.get(t.domain)!),
  );
  const holders = new Set([...moved].flatMap(entryHosts).filter((id) => !homes.includes(id)));
  const entries = (backupWave(from, targets, '')?.down ?? []).filter((id) => !holders.has(id));
  const both = list([...homes, ...entries]);
  if (entries.length > 0 && both.length > homes.length)
    queued.push({ label: `queued on a backup while ${both.join(', ')} ${verb(both)} down`, down: both });
  return {
    before: { label: 'before the switch', down: [] },
    queued,
    after: { label: 'after the switch', down: [] },
  };
}

/** The best MX of each target domain that has a relay-only backup, down: its mail waits on the backup. */
function backupWave(plan: Plan, targets: readonly MigrationTarget[], when: string): Wave | undefined {
  const domains = [...new Set(targets.map((t) => t.domain))].map((d) => plan.domains.get(d)!);
  const down = list(
    domains
      .filter((d) => d.mx.some((m) => m.host?.role === 'relay'))
      .flatMap(entryHosts)
      .filter((id) => plan.hosts.get(id)?.role === 'store'),
  );
  if (down.length === 0) return undefined;
  return { label: `${when ? `${when}, ` : ''}queued on a backup while ${down.join(', ')} ${verb(down)} down`, down };
}

function list(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort();
}

/** After the switch the DNS gives each target domain its new MX set (what the zones of the new plan say). */
async function checkMx(
  context: VerifyContext,
  resolver: MxResolver,
  from: Plan,
  to: Plan,
  targets: readonly MigrationTarget[],
): Promise<void> {
  const set = (d: Domain) => d.mx.map((m) => `${m.preference} ${m.exchange}`).sort();
  for (const name of [...new Set(targets.map((t) => t.domain))]) {
    const want = set(to.domains.get(name)!);
    if (want.join(',') === set(from.domains.get(name)!).join(',')) continue;
    const got = await resolver
      .resolveMx(name)
      .then((mx) => mx.map((m) => `${m.priority} ${m.exchange}`).sort())
      .catch((error: Error) => [`(${error.message})`]);
    context.report({
      name: `${name} MX after the switch`,
      ...(got.join(',') === want.join(',')
        ? { status: 'pass' }
        : { status: 'fail', expected: want.join(', '), observed: got.join(', ') }),
    });
  }
}

/** "1233 messages in 1164 mailboxes on store4 (ada.patel@... (4), ...)", per old home. */
function migrateNote(toMigrate: ReadonlyMap<string, number>): string {
  if (toMigrate.size === 0) return 'none';
  const byHost = new Map<string, [string, number][]>();
  for (const [key, n] of toMigrate) {
    const [address, hostId] = key.split(' on ') as [string, string];
    byHost.set(hostId, [...(byHost.get(hostId) ?? []), [address, n]]);
  }
  return [...byHost]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([hostId, boxes]) => {
      const n = boxes.reduce((sum, [, k]) => sum + k, 0);
      const sample = listOf(
        boxes.sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, k]) => `${a} (${k})`),
        5,
      );
      return `${count(n, 'message')} in ${count(boxes.length, 'mailbox', 'mailboxes')} on ${hostId}: ${sample}`;
    })
    .join('; ');
}

function verb(ids: readonly string[]): string {
  return new Set(ids).size === 1 ? 'was' : 'were';
}

/** Whether the domain's best MX is down and a relay-only backup of it up. */
function backedUpWhileDown(domain: Domain, down: ReadonlySet<string>): boolean {
  return (
    entryHosts(domain).some((id) => down.has(id)) &&
    domain.mx.some((m) => m.host?.role === 'relay' && !down.has(m.host.id))
  );
}

/** Whether an outside sender finds an MX of the domain up (else it would keep the mail itself). */
function mxUp(domain: Domain, down: ReadonlySet<string>): boolean {
  return domain.mx.some((m) => m.host && !down.has(m.host.id));
}

async function send(
  context: VerifyContext,
  sender: InternetSender,
  wave: Wave,
  targets: readonly MigrationTarget[],
  sent: Sent[],
): Promise<Sent[]> {
  const mine: Sent[] = [];
  context.status(`sending ${targets.length} messages ${wave.label}`);
  await inParallel(targets, 32, async (target) => {
    const token = newProbe();
    const { code, response } = await sender.send(
      OUTSIDE_SENDER,
      target.address,
      probeMessage(token, OUTSIDE_SENDER, target.address, `verify migration ${wave.label}`),
    );
    mine.push({ target, wave, token, code, response });
  });
  sent.push(...mine);
  return mine;
}
