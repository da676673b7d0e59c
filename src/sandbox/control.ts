/**
 * Commands a person (or a test) types into a running sandbox, one per line (COMMANDS below).
 * Each returns the text to print; none throws for a typing mistake.
 */
import { resolveNextHop } from '../mail/next-hop.js';
import { formatReply, refusalReply } from '../mail/replies.js';
import type { Destination } from '../routing/destination.js';
import { expandRecipients } from '../routing/expand.js';
import { hostPolicy } from '../routing/policy.js';
import { route } from '../routing/route.js';
import { canonicalIP } from '../topology/ip.js';
import type { QueuedMessage, RunningPlan } from './engine.js';
import type { Sandbox } from './sandbox.js';

/** Every command, with its argument and what it does: `help` prints this, the completer reads it. */
export const COMMANDS: readonly (readonly [verb: string, argument: string, what: string])[] = [
  ['down', '<host>', 'take a host down: its port refuses connections'],
  ['cut', '<host>', 'cut a host off: connections to its port time out'],
  ['up', '<host>', 'bring it back on the same port; its queue resumes'],
  ['retry', '[host]', "retry every queue (or one host's) now, ignoring backoff"],
  ['status', '', 'each host: up, down or cut, messages queued, its spool on disk'],
  ['queue', '<host>', "what a host holds in its queue, as Postfix's mailq lists it"],
  ['route', '<address>', 'where each host would send mail for an address next, and why'],
  ['help', '', 'this list'],
];

const HOST_VERBS = new Set(['down', 'cut', 'up', 'retry', 'queue']);

/**
 * Any running plan takes the commands (the lab too); the built-in sandbox's status also shows
 * each relay's spool, and only it explains a route (through its own resolver and policies).
 */
export type Controlled = Pick<
  RunningPlan,
  'plan' | 'hosts' | 'status' | 'down' | 'cut' | 'up' | 'retryNow' | 'queued'
> &
  Partial<Pick<Sandbox, 'relay' | 'resolver'>>;

export async function runControl(sandbox: Controlled, line: string): Promise<string> {
  const [verb, arg] = line.trim().split(/\s+/);
  const unknownHost = () => `no planned host "${arg ?? ''}"; hosts: ${[...sandbox.hosts.keys()].join(', ')}`;
  switch (verb) {
    case undefined:
    case '':
      return '';
    case 'help':
      return help();
    case 'down':
    case 'cut':
    case 'up': {
      if (!arg || !sandbox.hosts.has(arg)) return unknownHost();
      await sandbox[verb](arg);
      return `${arg} is ${verb}`;
    }
    case 'retry':
      if (arg !== undefined && !sandbox.hosts.has(arg)) return unknownHost();
      await sandbox.retryNow(arg);
      return arg ? `${arg} is retrying its queue now` : 'retrying every queue now';
    case 'status': {
      const lines = await Promise.all(
        [...sandbox.hosts.keys()].map(async (id) => {
          const relay = sandbox.relay?.(id);
          if (relay) {
            const spool = relay.spoolStats();
            return `${id.padEnd(10)} up, ${relay.queued()} queued, spool ${spool.segments} segment${spool.segments === 1 ? '' : 's'}`;
          }
          // Another engine (the lab) counts its queue through the contract.
          const queued = sandbox.relay ? undefined : await sandbox.queued(id).catch(() => undefined);
          return `${id.padEnd(10)} ${sandbox.status(id)}${queued ? `, ${queued.length} queued` : ''}`;
        }),
      );
      return lines.join('\n');
    }
    case 'queue': {
      if (!arg || !sandbox.hosts.has(arg)) return unknownHost();
      const messages = await sandbox.queued(arg);
      return messages ? mailq(messages) : `${arg} is ${sandbox.status(arg)}: its queue cannot be asked`;
    }
    case 'route':
      if (!arg) return 'route takes an address: route bob@acme.example';
      if (!sandbox.resolver) return "route explains the built-in relays' choices: ask it in the loopback sandbox";
      return explainRoute({ ...sandbox, resolver: sandbox.resolver }, arg);
    default:
      return `unknown command "${verb}"; type help for the list`;
  }
}

function help(): string {
  const width = Math.max(...COMMANDS.map(([v, a]) => `${v} ${a}`.length));
  return COMMANDS.map(([verb, argument, what]) => `  ${`${verb} ${argument}`.padEnd(width)}  ${what}`).join('\n');
}

/** What the line typed so far may become: a verb, or a host for a verb that takes one. */
export function completeControl(sandbox: Pick<RunningPlan, 'hosts'>, line: string): [string[], string] {
  const words = line.split(/\s+/);
  if (words.length <= 1) return [COMMANDS.map(([v]) => v).filter((v) => v.startsWith(line)), line];
  const last = words[words.length - 1]!;
  if (words.length === 2 && HOST_VERBS.has(words[0]!))
    return [[...sandbox.hosts.keys()].filter((h) => h.startsWith(last)), last];
  return [[], last];
}

/**
 * Postfix mailq(1) (showq): queue id, size, arrival, sender; then each recipient with the reason
 * it waits; the total. Also this queue's attempts and the time of its next one.
 */
export function mailq(messages: readonly QueuedMessage[]): string {
  if (messages.length === 0) return 'Mail queue is empty';
  const lines = ['-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------'];
  let bytes = 0;
  for (const m of messages) {
    bytes += m.size;
    const arrival = new Date(m.arrival).toUTCString().slice(0, 25);
    lines.push(`${m.queueId.padEnd(11)} ${String(m.size).padStart(8)} ${arrival}  ${m.from || 'MAILER-DAEMON'}`);
    const next =
      m.nextAttempt === undefined
        ? 'being tried now'
        : `next attempt ${new Date(m.nextAttempt).toISOString().slice(11, 19)}`;
    lines.push(`${''.padEnd(42)}(${m.attempts} attempt${m.attempts === 1 ? '' : 's'}, ${next})`);
    for (const r of m.recipients) {
      if (r.reason) lines.push(`(${r.reason})`);
      lines.push(`${''.padEnd(42)}${r.address}`);
    }
    lines.push('');
  }
  const kbytes = Math.ceil(bytes / 1024);
  lines.push(`-- ${kbytes} Kbytes in ${messages.length} Request${messages.length === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

type RouteExplained = Pick<Sandbox, 'plan' | 'status' | 'resolver'>;

/**
 * For each host: would it take mail for `address` from an SMTP client, and where would it send
 * each recipient the address comes to (an alias's members one by one): into a mailbox here, to
 * the planned host it lives on, or through MX records (as the relay resolves them now, through
 * the sandbox's DNS, with itself and every MX at or above its own preference left out).
 */
export async function explainRoute(sandbox: RouteExplained, address: string): Promise<string> {
  const lines: string[] = [];
  for (const host of sandbox.plan.hosts.values()) {
    const policy = hostPolicy(sandbox.plan, host.id);
    const head = `${host.id.padEnd(10)}`;
    const decision = route(policy, address, 'inbound');
    if (decision.kind === 'refuse') {
      lines.push(`${head} refuses it at RCPT: ${formatReply(refusalReply(decision.address, decision.refusal))}`);
      continue;
    }
    const { targets, failures } = expandRecipients(policy, [address], 'inbound');
    const expanded = decision.kind === 'expand';
    if (expanded)
      lines.push(
        `${head} takes it: ${decision.address} is an alias of ${targets.length + failures.length} address(es)`,
      );
    for (const target of targets) {
      const lead = expanded ? `${''.padEnd(10)}   ${target.address}:` : head;
      lines.push(`${lead} ${await destinationText(sandbox, host.id, target.address, target.to)}`);
    }
    for (const failure of failures)
      lines.push(
        `${''.padEnd(10)}   ${failure.address}: bounced (${formatReply(refusalReply(failure.address, failure.refusal))})`,
      );
  }
  return lines.join('\n');
}

async function destinationText(
  sandbox: RouteExplained,
  hostId: string,
  address: string,
  to: Destination,
): Promise<string> {
  if (to.kind === 'local') return 'delivers it into its Maildir here';
  const statusOf = (fqdn: string) => {
    const planned = [...sandbox.plan.hosts.values()].find((h) => h.fqdn === fqdn);
    return planned ? ` (${planned.id}, ${sandbox.status(planned.id)})` : '';
  };
  if (to.kind === 'host')
    return `forwards it to ${to.host.id}, where ${address} lives: ${to.host.fqdn} [${[...to.host.ipv4, ...to.host.ipv6].join(', ')}], no MX lookup; ${to.host.id} is ${sandbox.status(to.host.id)}`;
  const host = sandbox.plan.hosts.get(hostId)!;
  const resolution = await resolveNextHop(to, {
    resolver: sandbox.resolver,
    self: { fqdn: host.fqdn, addresses: new Set([...host.ipv4, ...host.ipv6].map(canonicalIP)) },
    // Equal preferences in the order DNS gave them: the relay shuffles them (RFC 5321 §5.1).
    random: () => 0,
  });
  const own =
    resolution.self !== undefined
      ? `; it is MX ${resolution.self} itself, so MX ${resolution.self} and above are left out`
      : '';
  if (!resolution.ok)
    return `relays it through the MX of ${to.domain}, but cannot: ${formatReply(resolution.reply)}${own}`;
  const exchanges = [...new Map(resolution.candidates.map((c) => [c.exchange, c])).values()];
  return `relays it through the MX of ${to.domain}: ${exchanges
    .map((c) => `MX ${c.preference} ${c.exchange}${statusOf(c.exchange)}`)
    .join(', then ')}${own}`;
}
