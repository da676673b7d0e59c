/**
 * What Postfix does with each recipient, asked of Postfix: every table is read with postmap(1)
 * and every parameter with postconf(1), on the generated files. The steps are Postfix's, as its
 * documentation gives them, for a client outside mynetworks:
 *
 * 1. smtpd_relay_restrictions, in order: check_recipient_access (access(5): the address, the
 *    domain, its parents as .parent, then localpart@), whose action is a reply or the restriction
 *    reject_unknown_recipient_domain (a null MX in DNS: 556 5.1.10, smtpd_check.c; DNS here is
 *    the zones mxplan derives from the same plan); permit_mynetworks (not this client);
 *    reject_unauth_destination (the domain must be in one of the address classes below,
 *    ADDRESS_CLASS_README), with relay_domains_reject_code;
 * 2. reject_unlisted_recipient (smtpd_reject_unlisted_recipient, on by default): the address must
 *    be in virtual_alias_maps or the map of its class, else that class's unknown_*_reject_code,
 *    5.1.1;
 * 3. accepted: cleanup(8) expands virtual_alias_maps, recursively; each final address goes where
 *    transport_maps says (transport(5): the address, the domain, .parents, *), else where its class
 *    sends it: virtual mailbox (virtual_transport, or a 5.1.1 bounce for an address its map lacks),
 *    relay (relay_transport, the MX), local (local(8)), default (default_transport, the MX).
 *
 * Mail the host makes itself (`internal`: an alias member, a DSN, a local submission) skips steps
 * 1 and 2, as it never meets smtpd(8).
 *
 * Answers read like the routing ones (routing-answers.ts): "rcpt 550 5.1.1", or per final address
 * "local", "forward <host>", "relay <domain>", "bounce <status>", "system <local part>" (local(8)).
 */
import type { RouteOrigin } from '../../../src/routing/route.js';
import { deriveZones } from '../../../src/dns/derive.js';
import type { Host, Plan } from '../../../src/topology/types.js';
import { postconfValues, postmapQueries } from './postfix-tools.js';

const PARAMETERS = [
  'smtpd_relay_restrictions',
  'smtpd_recipient_restrictions',
  'smtpd_reject_unlisted_recipient',
  'mydestination',
  'virtual_alias_domains',
  'virtual_mailbox_domains',
  'relay_domains',
  'virtual_alias_maps',
  'virtual_mailbox_maps',
  'relay_recipient_maps',
  'local_recipient_maps',
  'transport_maps',
  'virtual_transport',
  'relay_transport',
  'default_transport',
  'relay_domains_reject_code',
  'unknown_virtual_mailbox_reject_code',
  'unknown_relay_recipient_reject_code',
  'unknown_local_recipient_reject_code',
  'virtual_alias_recursion_limit',
] as const;

type Params = Record<(typeof PARAMETERS)[number], string>;

/** A Postfix list: items separated by commas and blanks; `type:{ ... }` stays one item. */
function listOf(value: string): string[] {
  return value.match(/[^\s,{]+:\{[^}]*\}|[^\s,]+/g) ?? [];
}

const isTable = (item: string) => /^[a-z]+:/.test(item);

/** Needed lookups come back as this, to be fetched in the next round. */
class Pending extends Error {}

class Lookups {
  private readonly found = new Map<string, Map<string, string>>();
  private readonly asked = new Map<string, Set<string>>();
  private readonly missing = new Map<string, Set<string>>();

  get(table: string, key: string): string | undefined {
    if (this.asked.get(table)?.has(key)) return this.found.get(table)?.get(key);
    let keys = this.missing.get(table);
    if (!keys) this.missing.set(table, (keys = new Set()));
    keys.add(key);
    throw new Pending();
  }

  /** Asks postmap for every key a round needed; false when nothing was missing. */
  async fetch(dir: string, host: Host, scratch: string, round: number): Promise<boolean> {
    if (this.missing.size === 0) return false;
    const queries = new Map([...this.missing].map(([table, keys]) => [table, [...keys]]));
    this.missing.clear();
    const answers = await postmapQueries(dir, host, `${scratch}/round-${round}`, queries);
    for (const [table, keys] of queries) {
      let asked = this.asked.get(table);
      if (!asked) this.asked.set(table, (asked = new Set()));
      let found = this.found.get(table);
      if (!found) this.found.set(table, (found = new Map()));
      for (const key of keys) asked.add(key);
      for (const [key, value] of answers.get(table)!) found.set(key, value);
    }
    return true;
  }
}

export async function postfixAnswers(
  plan: Plan,
  host: Host,
  dir: string,
  addresses: readonly string[],
  scratch: string,
  origin: RouteOrigin = 'inbound',
): Promise<Map<string, string>> {
  const params = Object.fromEntries(await postconfValues(dir, PARAMETERS)) as Params;
  const lookups = new Lookups();
  const hostsByFqdn = new Map([...plan.hosts.values()].map((h) => [h.fqdn, h.id]));
  // What DNS says: the domains whose only MX is the root (RFC 7505), as mxplan's zones publish them.
  const nullMx = new Set(
    deriveZones(plan).flatMap((z) =>
      z.records.flatMap((r) => (r.type === 'MX' && r.data.exchange === '' && r.name === z.origin ? [r.name] : [])),
    ),
  );
  const decide = decider(params, lookups, hostsByFqdn, nullMx);
  const answers = new Map<string, string>();
  for (let round = 0; ; round++) {
    for (const address of addresses) {
      if (answers.has(address)) continue;
      try {
        answers.set(address, decide(address, origin));
      } catch (error) {
        if (!(error instanceof Pending)) throw error;
      }
    }
    if (answers.size === addresses.length) return answers;
    if (!(await lookups.fetch(dir, host, scratch, round))) throw new Error('postfix-answers: no progress');
  }
}

function decider(p: Params, q: Lookups, hostsByFqdn: ReadonlyMap<string, string>, nullMx: ReadonlySet<string>) {
  if (p.smtpd_recipient_restrictions !== '')
    throw new Error('postfix-answers: smtpd_recipient_restrictions is not modelled');
  const parents = (domain: string) => {
    const labels = domain.split('.');
    return labels.slice(1).map((_, i) => `.${labels.slice(i + 1).join('.')}`);
  };
  /** A domain list (mydestination and the like): literal names, or tables looked up by the domain. */
  const inDomainList = (value: string, domain: string) =>
    listOf(value).some((item) => (isTable(item) ? q.get(item, domain) !== undefined : item.toLowerCase() === domain));
  /** A lookup in a list of tables, first hit wins. */
  const inMaps = (value: string, key: string): string | undefined => {
    for (const table of listOf(value)) {
      const hit = q.get(table, key);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  const classOf = (domain: string) =>
    inDomainList(p.mydestination, domain)
      ? 'local'
      : inDomainList(p.virtual_alias_domains, domain)
        ? 'alias'
        : inDomainList(p.virtual_mailbox_domains, domain)
          ? 'virtual'
          : inDomainList(p.relay_domains, domain)
            ? 'relay'
            : 'default';

  /** cleanup(8)'s virtual alias expansion; a member equal to its alias is kept, as Postfix keeps it. */
  const expand = (address: string, depth = 0): string[] => {
    if (depth > Number(p.virtual_alias_recursion_limit)) throw new Error(`alias recursion at ${address}`);
    const value = inMaps(p.virtual_alias_maps, address);
    if (value === undefined) return [address];
    return listOf(value).flatMap((member) => (member === address ? [member] : expand(member, depth + 1)));
  };

  const fate = (address: string): string => {
    const [local, domain] = split(address);
    const keys = [address, domain, ...parents(domain), '*'];
    let entry: string | undefined;
    for (const key of keys) if ((entry = inMaps(p.transport_maps, key)) !== undefined) break;
    const cls = classOf(domain);
    if (entry === undefined || entry.endsWith(':')) {
      const transport =
        cls === 'virtual' ? p.virtual_transport : cls === 'relay' ? p.relay_transport : p.default_transport;
      if (cls === 'local') return `system ${local}`;
      if (cls === 'virtual' && inMaps(p.virtual_mailbox_maps, address) === undefined) return 'bounce 5.1.1';
      if (cls === 'virtual') return transport === p.virtual_transport ? 'local' : `transport ${transport}`;
      return `relay ${domain}`;
    }
    const bounce = /^error:(\d\.\d{1,3}\.\d{1,3})\b/.exec(entry);
    if (bounce) return `bounce ${bounce[1]}`;
    const forward = /^smtp:\[([^\]]+)\]$/.exec(entry);
    if (forward) return `forward ${hostsByFqdn.get(forward[1]!) ?? `unplanned ${forward[1]}`}`;
    return `transport ${entry}`;
  };

  const accept = (address: string): string | undefined => {
    const [local, domain] = split(address);
    for (const restriction of restrictionsOf(p.smtpd_relay_restrictions)) {
      if (restriction.name === 'check_recipient_access') {
        for (const key of [address, domain, ...parents(domain), `${local}@`]) {
          const action = q.get(restriction.table!, key);
          if (action === undefined) continue;
          if (action === 'reject_unknown_recipient_domain') {
            if (nullMx.has(domain)) return 'rcpt 556 5.1.10';
            break; // DNS has the domain: DUNNO, on to the next restriction
          }
          const reject = /^([45]\d\d) (\d\.\d{1,3}\.\d{1,3})\b/.exec(action);
          if (!reject) throw new Error(`postfix-answers: access action "${action}" is not modelled`);
          return `rcpt ${reject[1]} ${reject[2]}`;
        }
      } else if (restriction.name === 'reject_unauth_destination') {
        if (classOf(domain) === 'default') return `rcpt ${p.relay_domains_reject_code} 5.7.1`;
      } else if (restriction.name !== 'permit_mynetworks') {
        throw new Error(`postfix-answers: restriction ${restriction.name} is not modelled`);
      }
    }
    if (p.smtpd_reject_unlisted_recipient === 'yes') {
      const cls = classOf(domain);
      const aliased = inMaps(p.virtual_alias_maps, address) !== undefined;
      const listed = (maps: string, key = address) => aliased || inMaps(maps, key) !== undefined;
      if (cls === 'virtual' && !listed(p.virtual_mailbox_maps))
        return `rcpt ${p.unknown_virtual_mailbox_reject_code} 5.1.1`;
      if (cls === 'relay' && !listed(p.relay_recipient_maps))
        return `rcpt ${p.unknown_relay_recipient_reject_code} 5.1.1`;
      if (cls === 'local' && !listed(p.local_recipient_maps, local))
        return `rcpt ${p.unknown_local_recipient_reject_code} 5.1.1`;
    }
    return undefined;
  };

  return (address: string, origin: RouteOrigin): string => {
    const refused = origin === 'inbound' ? accept(address) : undefined;
    if (refused) return refused;
    return [...new Set(expand(address))]
      .map((member) => `${member} ${fate(member)}`)
      .sort()
      .join('; ');
  };
}

function restrictionsOf(value: string): { name: string; table?: string }[] {
  const items = listOf(value);
  const restrictions: { name: string; table?: string }[] = [];
  for (let i = 0; i < items.length; i++) {
    const name = items[i]!;
    if (name.startsWith('check_') && name.endsWith('_access')) restrictions.push({ name, table: items[++i]! });
    else restrictions.push({ name });
  }
  return restrictions;
}

function split(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return [address.slice(0, at), address.slice(at + 1)];
}
