/**
 * Where each host's new `mxplan mta` files go in the migration order (migration.ts). A host is
 * reconfigured by installing its new files and reloading (`postfix reload`, `doveadm reload`);
 * what matters is when, relative to the records and to the other hosts:
 *
 * - a host that takes part in a mailbox move (the new home, a store whose routing of the moved
 *   address changes, the old home) is reconfigured in the move step: the new home's Dovecot first,
 *   so the mailbox can be copied in; then the Postfix files, the new home first, the routers next,
 *   the old home last, so no store forwards to a home that does not store the mailbox yet; then,
 *   after the second copy, the old home's Dovecot, which no longer serves the mailbox;
 * - a host that stops accepting a domain it was an MX of is reconfigured in the drain step, once
 *   no sender can still hold the old MX records (the switch step's wait);
 * - a host whose new files only add what it accepts (domains, recipients, mailboxes) is
 *   reconfigured in the add step, before any record or host sends it that mail;
 * - any other change (aliases, forwards, limits, the plan's own networks) comes with the switch.
 *
 * A host reconfigured after the add step whose new files also add what it accepts (a new MX
 * domain, new recipients) first gets those entries in the add step, on top of its running files,
 * as the SPF union does for records: it accepts the old and the new mail while the rest waits.
 */
import { instancesReading, OPENDKIM_INSTANCES, type OpendkimInstance } from '../mta/opendkim.js';
import { hostPolicy } from '../routing/policy.js';
import type { Plan } from '../topology/types.js';
import type { Action, Hazard, Phase } from './migration.js';
import type { MtaDiff, MtaFileChange, MtaHostChange } from './mta-diff.js';
import type { PlanChange } from './plan-changes.js';
import { count, listOf } from '../words.js';

/** Tables whose keys are what a host accepts: more keys, more mail taken; fewer, mail refused. */
const ACCEPTED_DOMAINS = new Set(['postfix/virtual_mailbox_domains', 'postfix/relay_domains']);
/** The same for addresses: an alias is an address taken, for the members it is expanded to. */
const ACCEPTED_ADDRESSES = new Set([
  'postfix/virtual_mailbox',
  'postfix/virtual_alias',
  'postfix/relay_recipients',
  'dovecot/users',
  'dovecot/passwd',
]);

export interface MtaSteps {
  readonly add: readonly Action[];
  /** The move step, before the mailboxes are copied: the new homes' Dovecot. */
  readonly beforeCopy: readonly Action[];
  /** The move step, once copied: the Postfix files of every host taking part, in order. */
  readonly route: readonly Action[];
  /** The move step, after the second copy: the old homes' Dovecot. */
  readonly afterCopy: readonly Action[];
  readonly switch: readonly Action[];
  readonly drain: readonly Action[];
  /** Hosts reconfigured in the move step (their "stop accepting" is part of it). */
  readonly movers: ReadonlySet<string>;
  readonly hazards: readonly Hazard[];
}

const NONE: MtaSteps = {
  add: [],
  beforeCopy: [],
  route: [],
  afterCopy: [],
  switch: [],
  drain: [],
  movers: new Set(),
  hazards: [],
};

type Moves = readonly Extract<PlanChange, { kind: 'user-moved' }>[];

export function mtaSteps(before: Plan, after: Plan, mta: MtaDiff, changes: readonly PlanChange[]): MtaSteps {
  if (!mta.available) return NONE;
  const moves = changes.filter((c): c is Moves[number] => c.kind === 'user-moved');
  const moved = new Set(moves.map((m) => m.address));
  const steps = {
    add: [] as Action[],
    beforeCopy: [] as Action[],
    route: [] as { rank: number; action: Action }[],
    afterCopy: [] as Action[],
    switch: [] as Action[],
    drain: [] as Action[],
  };
  const movers = new Set<string>();
  const hazards: Hazard[] = [];

  for (const host of mta.hosts.filter((h) => h.status === 'changed')) {
    const id = host.host;
    const movesIn = moves.filter((m) => m.to === id);
    const movesOut = moves.filter((m) => m.from === id);
    const routesMoved = host.files.some((f) => f.file.startsWith('postfix/') && touches(f, moved));
    const early = earlyEntries(before, after, host, moves);

    if (movesIn.length + movesOut.length > 0 || routesMoved) {
      movers.add(id);
      const postfix = host.files.filter((f) => f.file.startsWith('postfix/'));
      const dovecot = host.files.filter((f) => f.file.startsWith('dovecot/'));
      const users = (list: Moves) =>
        listOf(
          list.map((m) => m.address),
          3,
        );
      const dropsMailboxes = dovecot.some((f) => (f.entries?.removed.length ?? 0) > 0);
      if (movesIn.length > 0 && dovecot.length > 0) {
        steps.beforeCopy.push(
          dropsMailboxes
            ? entriesAction(
                id,
                dovecot,
                'added',
                `it can take the mailboxes of ${users(movesIn)}, to be copied in`,
                'move',
              )
            : install(
                id,
                dovecot,
                `can take the ${movesIn.length === 1 ? 'mailbox' : 'mailboxes'} of ${users(movesIn)}, to be copied in`,
              ),
        );
      }
      if (postfix.length > 0) {
        const stops = droppedDomains(host);
        const stopping = stops.length > 0 ? ` and takes no more mail for ${listOf(stops, 3)}` : '';
        const [rank, role] =
          movesIn.length > 0 && movesOut.length === 0
            ? [0, `stores ${users(movesIn)} from now on${stopping}`]
            : movesOut.length > 0 && movesIn.length === 0
              ? [2, `forwards ${users(movesOut)} to the new home${stopping}`]
              : movesIn.length > 0
                ? [1, `stores ${users(movesIn)} and forwards ${users(movesOut)}${stopping}`]
                : [1, `routes the moved addresses to their new homes${stopping}`];
        steps.route.push({ rank, action: install(id, postfix, role, ['first', '', 'last'][rank]) });
      }
      if (dovecot.length > 0 && (movesIn.length === 0 || dropsMailboxes))
        steps.afterCopy.push(
          install(
            id,
            dovecot,
            movesOut.length > 0 ? `no longer serves ${users(movesOut)}` : undefined,
            'after the second copy,',
          ),
        );
      if (movesIn.length > 0 && movesOut.length > 0)
        hazards.push({
          severity: 'caution',
          message:
            `host ${id} is the new home of ${users(movesIn)} and the old home of ${users(movesOut)}: while one ` +
            'store runs its new configuration and another its old one, mail for the mailboxes they exchange goes ' +
            'back and forth between them until the hop limit bounces it; reload the stores involved at the same moment',
          at: after.hosts.get(id)!.at,
        });
      if (early.length > 0) steps.add.push(earlyAction(id, early, 'move'));
      continue;
    }

    const dropped = droppedMxDomains(before, host);
    const onlyAdds = host.files.every((f) => isAcceptance(f) && f.minus === 0) || early.length === host.files.length;
    const phase: Phase = dropped.length > 0 ? 'drain' : onlyAdds && early.length > 0 ? 'add' : 'switch';
    const why =
      phase === 'drain'
        ? `stops accepting mail for ${listOf(dropped, 3)}, now that no sender holds its old MX records`
        : phase === 'add'
          ? 'accepts the new mail before any record or host sends it there'
          : undefined;
    steps[phase].push(install(id, host.files, why));
    if (phase !== 'add' && early.length > 0) steps.add.push(earlyAction(id, early, phase));
  }
  return {
    ...steps,
    route: steps.route.sort((a, b) => a.rank - b.rank).map((r) => r.action),
    movers,
    hazards,
  };
}

/** Whether a file's changed entries name one of the addresses. */
function touches(file: MtaFileChange, addresses: ReadonlySet<string>): boolean {
  const e = file.entries;
  return e !== undefined && [...e.added, ...e.removed, ...e.changed].some((k) => addresses.has(k));
}

function isAcceptance(file: MtaFileChange): boolean {
  return ACCEPTED_DOMAINS.has(file.file) || ACCEPTED_ADDRESSES.has(file.file);
}

/**
 * What the host's new files add to what it accepts that must be there before the records or the
 * other hosts send it mail: a domain it becomes an MX of, and new recipients, mailboxes and logins,
 * but not what a mailbox move brings (the move step orders that).
 */
function earlyEntries(before: Plan, after: Plan, host: MtaHostChange, moves: Moves): MtaFileChange[] {
  const moved = new Set(moves.map((m) => m.address));
  const movedDomains = new Set(moves.filter((m) => m.to === host.host).map((m) => m.address.split('@')[1]!));
  const isMx = (plan: Plan, domain: string) => plan.domains.get(domain)?.mx.some((m) => m.host?.id === host.host);
  const newMx = (domain: string) => isMx(after, domain) && !isMx(before, domain);
  // A domain the host takes only because mailboxes move there comes with them, addresses and all.
  const withMoves = (domain: string) => movedDomains.has(domain) && !newMx(domain);
  const gainedWithMoves = new Set(
    host.files.filter((f) => ACCEPTED_DOMAINS.has(f.file)).flatMap((f) => f.entries?.added.filter(withMoves) ?? []),
  );
  // An address counts where the host takes its domain from other hosts (a store's aliases of the
  // other domains serve only the mail it makes itself).
  const policy = hostPolicy(after, host.host);
  const accepted = new Set([...policy.finalDomains(), ...policy.backupDomains()].map((d) => d.name));
  const early: MtaFileChange[] = [];
  for (const file of host.files) {
    if (!isAcceptance(file) || !file.entries) continue;
    const added = file.entries.added.filter((key) => {
      if (ACCEPTED_DOMAINS.has(file.file)) return !gainedWithMoves.has(key);
      const domain = key.slice(key.lastIndexOf('@') + 1);
      return !moved.has(key) && !gainedWithMoves.has(domain) && accepted.has(domain);
    });
    if (added.length > 0) early.push({ ...file, entries: { added, removed: [], changed: [] } });
  }
  return early;
}

/** The domains the host's new files no longer accept. */
function droppedDomains(host: MtaHostChange): string[] {
  return host.files.filter((f) => ACCEPTED_DOMAINS.has(f.file)).flatMap((f) => f.entries?.removed ?? []);
}

/** The domains the host was an MX of and its new files no longer accept. */
function droppedMxDomains(before: Plan, host: MtaHostChange): string[] {
  return droppedDomains(host).filter((d) => before.domains.get(d)?.mx.some((m) => m.host?.id === host.host));
}

/** "first host mail1: install its new postfix/transport, then postfix reload; it stores bob@... from now on". */
function install(host: string, files: readonly MtaFileChange[], it?: string, lead?: string): Action {
  const names = files.map((f) => f.file);
  return {
    text: `${lead ? `${lead} ` : ''}host ${host}: install its new ${listOf(names, names.length)}, then ${reloads(files)}${it ? `; it ${it}` : ''}`,
    mta: { host, files: names },
  };
}

/** Add the entries listed, on top of the running files, then reload. */
function entriesAction(
  host: string,
  files: readonly MtaFileChange[],
  which: 'added',
  why: string,
  rest: Phase,
): Action {
  const parts = files
    .filter((f) => (f.entries?.[which].length ?? 0) > 0)
    .map((f) => `${f.file} ${listOf(f.entries![which], 3)}`);
  const names = files.map((f) => f.file);
  return {
    text:
      `host ${host}: add to its running files what the new ones add (${parts.join('; ')}), then ${reloads(files)}; ` +
      `${why}; its new files in full come in the ${rest} step`,
    mta: { host, files: names, only: 'added' },
  };
}

function earlyAction(host: string, files: readonly MtaFileChange[], rest: Phase): Action {
  const n = files.reduce((sum, f) => sum + f.entries!.added.length, 0);
  return entriesAction(
    host,
    files,
    'added',
    `it accepts ${count(n, 'new entry', 'new entries')} before mail is routed there`,
    rest,
  );
}

function reloads(files: readonly MtaFileChange[]): string {
  const changed = (prefix: string) => files.some((f) => f.file.startsWith(prefix));
  const units = new Map<OpendkimVerb, string[]>();
  for (const instance of OPENDKIM_INSTANCES) {
    const verb = opendkimVerb(instance, files);
    if (verb) units.set(verb, [...(units.get(verb) ?? []), instance.unit]);
  }
  const systemctl = (verb: OpendkimVerb, ...commands: string[]) =>
    units.has(verb) && commands.map((c) => `systemctl ${c} ${units.get(verb)!.join(' ')}`).join(' and ');
  // A new milter runs before Postfix is told of it; one Postfix no longer names stops after.
  return [
    systemctl('start', 'enable', 'start'),
    changed('postfix/') && 'postfix reload',
    changed('dovecot/') && 'doveadm reload',
    systemctl('reload', 'reload-or-restart'),
    systemctl('stop', 'stop', 'disable'),
  ]
    .filter(Boolean)
    .join(' and ');
}

type OpendkimVerb = 'start' | 'reload' | 'stop';

/**
 * What an OpenDKIM instance needs when files it reads change: its unit started when its
 * configuration is new, stopped when it is gone, else reloaded (Debian's unit reloads on SIGUSR1,
 * which re-reads the configuration and its tables).
 */
function opendkimVerb(instance: OpendkimInstance, files: readonly MtaFileChange[]): OpendkimVerb | undefined {
  const own = files.filter(
    (f) => f.file.startsWith(OPENDKIM_DIR) && instancesReading(f.file.slice(OPENDKIM_DIR.length)).includes(instance),
  );
  if (own.length === 0) return undefined;
  const config = own.find((f) => f.file === `${OPENDKIM_DIR}${instance.config}`)?.status;
  return config === 'added' ? 'start' : config === 'removed' ? 'stop' : 'reload';
}

const OPENDKIM_DIR = 'opendkim/';
