/**
 * What the mail hosts' configuration adds to a draft (draft.ts, from zone files, or empty): the
 * hosts as Postfix names them, the users and their homes, the aliases, quotas, limits and queue
 * lifetimes, proxied logins, and the domains DNS did not show.
 *
 * - A user's home is the store that delivers it itself: it lists the user in virtual_mailbox_maps
 *   and forwards it nowhere (transport_maps), or lists it in Dovecot's userdb. Every other store
 *   forwards it there by name, which says the same from the other side.
 * - Aliases are every store's virtual_alias_maps (the same on each when mxplan wrote them): the
 *   members are final addresses, since mxplan writes each alias fully expanded.
 * - Quotas come from Dovecot's userdb. The most common one becomes `defaults.quota` when every
 *   user has one; without a userdb the quotas are unknown, and the draft says so.
 * - Hosts come in the order of mynetworks (mxplan lists the plan's hosts there in plan order,
 *   which also orders them in mynetworks and login_trusted_networks again).
 * - MX sets come from DNS. A domain DNS did not show gets its final stores and backups as MX, a
 *   guess the draft says.
 *
 * Where the hosts disagree, or the draft had to choose, it carries a comment.
 */
import { canonicalIP } from '../topology/ip.js';
import { DEFAULTS } from '../topology/normalize.js';
import { formatDuration } from '../topology/units.js';
import { mostCommon, type Draft, type DraftComment } from './draft.js';
import type { Located, MailHost } from './mail-host.js';

type Doc = Record<string, unknown>;
type HostDoc = Record<string, unknown>;
type DomainDoc = Record<string, unknown>;

interface Home {
  readonly host: string;
  readonly where: string;
  /** The host delivers the user itself (rather than forwarding it there). */
  readonly local: boolean;
}

/** The draft's senders are those the domain's SPF authorises; the users' homes are now known too. */
const SENDERS = "from SPF: the hosts it authorises (without senders, the plan takes the users' homes)";

/** The order of a domain's keys in the draft, as the examples write them. */
const DOMAIN_KEYS = ['mx', 'users', 'aliases', 'senders', 'spf', 'dmarc', 'mtaSts', 'tlsRpt', 'ttl'];

/** `withZones`: the draft was made from zone files (else from none, and DNS is still to be written). */
export function addMailHosts(draft: Draft, mailHosts: readonly MailHost[], withZones: boolean): Draft {
  return new MailMerge(draft, mailHosts, withZones).merge();
}

class MailMerge {
  private readonly doc: Doc;
  private readonly comments: DraftComment[];
  private readonly byFqdn = new Map<string, MailHost>();

  constructor(
    draft: Draft,
    private readonly mail: readonly MailHost[],
    private readonly withZones: boolean,
  ) {
    this.doc = structuredClone(draft.document);
    this.doc.defaults ??= {};
    // What the zones' draft said the configuration could not tell is told now.
    this.comments = draft.comments
      .filter((c) => !(c.path.length === 1 && (c.path[0] === 'defaults' || c.path[0] === 'hosts')))
      .map((c) => (c.path.at(-1) === 'senders' && c.text.startsWith('from SPF:') ? { ...c, text: SENDERS } : c));
    for (const h of mail) if (h.fqdn) this.byFqdn.set(h.fqdn, h);
  }

  merge(): Draft {
    this.hosts();
    const homes = this.homes();
    const quotas = this.quotas(homes);
    this.users(homes, quotas);
    this.aliases();
    this.backups();
    // The domains the hosts take or refuse, users or not.
    for (const h of this.mail)
      for (const name of [...h.finalDomains.map((d) => d.value), ...h.relayDomains.map((d) => d.value), ...h.nullMx])
        this.domain(name);
    this.originsFirst();
    this.plan();
    this.enforcedPolicies();
    for (const [name, spec] of Object.entries(this.domainDocs))
      if (spec)
        this.domainDocs[name] = Object.fromEntries(DOMAIN_KEYS.flatMap((k) => (k in spec ? [[k, spec[k]]] : [])));
    for (const h of this.mail) for (const n of h.notes) this.comment(['hosts', h.id], `${n.where}: ${n.value}`);
    return {
      document: this.doc,
      comments: this.comments,
      header: [
        this.withZones
          ? 'Users, aliases, quotas and the hosts come from the mail servers; DNS records from the zone files.'
          : 'Users, aliases, quotas and the hosts come from the mail servers. No zone file was read: the SOA, name servers, SPF and DMARC are to be written.',
        'Every guess and everything left out is a comment: read them before this plan is used.',
      ],
    };
  }

  /**
   * The mode the zones could only guess (it lives in the policy file): a domain the hosts send
   * to over verified TLS only (`mxplan mta`'s tls_policy) has its MTA-STS policy in enforce mode.
   */
  private enforcedPolicies(): void {
    const enforced = new Set(this.mail.flatMap((h) => h.tlsSecure));
    for (const [name, spec] of Object.entries(this.domainDocs)) {
      const sts = spec?.mtaSts as { mode?: string } | undefined;
      if (!sts || !enforced.has(name)) continue;
      sts.mode = 'enforce';
      const guess = this.comments.findIndex(
        (c) => c.path.at(-1) === 'mode' && c.path.at(-2) === 'mtaSts' && c.path.includes(name),
      );
      if (guess >= 0) this.comments.splice(guess, 1);
    }
  }

  /**
   * A host's bare `postmaster` belongs to the first domain in plan order that it serves, which
   * `mxplan mta` writes as myorigin: the hosts' myorigin domains lead, in the order of the hosts,
   * so the plan says again what their main.cf says.
   */
  private originsFirst(): void {
    const docs = this.domainDocs;
    const origins = [...new Set(this.mail.flatMap((h) => (h.myorigin && h.myorigin in docs ? [h.myorigin] : [])))];
    if (origins.length === 0) return;
    const reordered = Object.fromEntries([
      ...origins.map((name) => [name, docs[name]] as const),
      ...Object.entries(docs).filter(([name]) => !origins.includes(name)),
    ]);
    this.doc.domains = reordered;
  }

  private comment(path: readonly (string | number)[], text: string, inline = false): void {
    this.comments.push({ path, text, inline });
  }

  private get hostDocs(): Record<string, HostDoc> {
    return ((this.doc.hosts as Record<string, HostDoc> | undefined) ??= {});
  }

  private get domainDocs(): Record<string, DomainDoc> {
    return ((this.doc.domains as Record<string, DomainDoc> | undefined) ??= {});
  }

  /** Each mail host in the draft under its own id, with what Postfix and Dovecot say of it. */
  private hosts(): void {
    const docs = this.hostDocs;
    const fromZones = new Map(Object.entries(docs).map(([id, h]) => [h.fqdn as string, id]));
    const hosts: Record<string, HostDoc> = {};
    for (const h of this.order()) {
      const zoneId = h.fqdn ? fromZones.get(h.fqdn) : undefined;
      const zone = zoneId === undefined ? undefined : docs[zoneId];
      if (zoneId !== undefined) delete docs[zoneId];
      const spec: HostDoc = { fqdn: h.fqdn ?? `${h.id}.invalid` };
      const ipv4 = (zone?.ipv4 as string[] | undefined) ?? h.ipv4;
      const ipv6 = (zone?.ipv6 as string[] | undefined) ?? h.ipv6;
      if (ipv4.length > 0) spec.ipv4 = ipv4;
      if (ipv6.length > 0) spec.ipv6 = ipv6;
      spec.role = h.role ?? zone?.role ?? 'store';
      if (h.helo) spec.helo = h.helo;
      const connections = h.dovecot?.imapProcessLimit;
      if (connections !== undefined) spec.limits = { connections };
      hosts[h.id] = spec;
      if (!h.fqdn) this.comment(['hosts', h.id, 'fqdn'], `${h.label}/main.cf names no myhostname: set the name`);
      if (h.idGuess) this.comment(['hosts', h.id], h.idGuess);
      if (!h.role) this.comment(['hosts', h.id, 'role'], 'guessed: the configuration shows no role', true);
      if (zone && !sameAddresses(zone, h))
        this.comment(
          ['hosts', h.id],
          `the zones give it ${addressList(zone.ipv4, zone.ipv6)}, inet_interfaces ${addressList(h.ipv4, h.ipv6)}: the zones' are kept`,
        );
      if (!zone && h.fqdn && fromZones.size > 0)
        this.comment(['hosts', h.id], `${h.fqdn} has no address records in the zone files`);
    }
    // Hosts the zones show and no configuration was given for stay, with their guesses.
    this.doc.hosts = { ...hosts, ...docs };
    if (this.mail.some((h) => h.role === 'store' && !h.dovecot))
      this.comment(
        ['hosts'],
        'limits.connections, mailboxes and storage are not in the Postfix configuration: add them',
      );
    else this.comment(['hosts'], 'limits.mailboxes and limits.storage are not in the configuration: add them');
    // The draft's MX and senders name hosts by the zones' ids: rename them.
    const renamed = new Map(
      [...fromZones].flatMap(([fqdn, id]) => {
        const h = this.byFqdn.get(fqdn);
        return h && h.id !== id ? [[id, h.id] as const] : [];
      }),
    );
    for (const domain of Object.values(this.domainDocs)) {
      if (!domain) continue;
      if (Array.isArray(domain.mx))
        for (const mx of domain.mx as { host: string }[]) mx.host = renamed.get(mx.host) ?? mx.host;
      if (Array.isArray(domain.senders)) domain.senders = (domain.senders as string[]).map((s) => renamed.get(s) ?? s);
    }
  }

  /** The mail hosts in mynetworks order (every mxplan host lists the plan's hosts the same way). */
  private order(): MailHost[] {
    const networks = this.mail.find((h) => h.mynetworks.length > 0)?.mynetworks ?? [];
    const position = (h: MailHost) => {
      const i = networks.findIndex((a) => [...h.ipv4, ...h.ipv6].map(canonicalIP).includes(a));
      return i < 0 ? Infinity : i;
    };
    return [...this.mail].sort((a, b) => position(a) - position(b));
  }

  private hostIdOf(fqdn: string): string | undefined {
    return this.byFqdn.get(fqdn)?.id;
  }

  /** Every user a store knows, with the store that delivers it itself. */
  private homes(): Map<string, Home> {
    const homes = new Map<string, Home>();
    const claims = new Map<string, Home[]>();
    const claim = (address: string, home: Home) => claims.set(address, [...(claims.get(address) ?? []), home]);
    for (const h of this.mail.filter((m) => m.role === 'store')) {
      for (const [address, mailbox] of h.mailboxes)
        if (!h.forwards.has(address)) claim(address, { host: h.id, where: mailbox.where, local: true });
      for (const user of h.dovecot?.users ?? [])
        if (!h.forwards.has(user.address))
          claim(user.address, {
            host: h.id,
            where: `${h.label.replace(/postfix$/, 'dovecot')}/${user.where}`,
            local: true,
          });
      for (const [address, to] of h.forwards) {
        const id = this.hostIdOf(to.value);
        claim(address, { host: id ?? to.value.split('.')[0]!, where: to.where, local: false });
        if (!id) this.commentUser(address, `${to.where} forwards it to ${to.value}, which is no host given here`);
      }
    }
    for (const [address, list] of claims) {
      const hosts = [...new Set(list.map((c) => c.host))];
      // The store that delivers the user itself is the home, whatever the others say.
      const home = list.find((c) => c.local) ?? list[0]!;
      homes.set(address, home);
      if (hosts.length > 1)
        this.commentUser(
          address,
          `the stores disagree on its home (${list.map((c) => `${c.where}: ${c.host}`).join('; ')}); ${home.host} is kept`,
        );
    }
    return homes;
  }

  /** Quotas by address from the homes' userdbs; undefined where the home's Dovecot was not read. */
  private quotas(homes: ReadonlyMap<string, Home>): Map<string, number | undefined> {
    const quotas = new Map<string, number | undefined>();
    for (const [address, home] of homes) {
      const dovecot = this.mail.find((m) => m.id === home.host)?.dovecot;
      quotas.set(address, dovecot?.users?.find((u) => u.address === address)?.quota);
    }
    return quotas;
  }

  private users(homes: ReadonlyMap<string, Home>, quotas: ReadonlyMap<string, number | undefined>): void {
    const known = [...quotas.values()];
    const everyone = known.length > 0 && known.every((q) => q !== undefined);
    const common = everyone ? mostCommon(known, String) : undefined;
    if (common !== undefined) (this.doc.defaults as Doc).quota = exactSize(common);
    const withoutDovecot = this.mail.filter((m) => m.role === 'store' && !m.dovecot?.users);
    if (withoutDovecot.length > 0)
      this.comment(
        ['defaults'],
        `quotas are unknown for the users of ${withoutDovecot.map((m) => m.id).join(', ')}: no Dovecot userdb was read`,
      );
    const byDomain = new Map<string, [string, unknown][]>();
    for (const [address, home] of [...homes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const at = address.lastIndexOf('@');
      const [local, domain] = [address.slice(0, at), address.slice(at + 1)];
      const quota = quotas.get(address);
      const value = quota === undefined || quota === common ? home.host : { host: home.host, quota: exactSize(quota) };
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), [local, value]]);
    }
    for (const [domain, users] of byDomain) this.domain(domain).users = Object.fromEntries(users);
  }

  /** Every alias any store lists; the members of one in the alias's own domain as local parts. */
  private aliases(): void {
    const aliases = new Map<string, Located<readonly string[]>>();
    for (const h of this.mail)
      for (const [address, members] of h.aliases) {
        const earlier = aliases.get(address);
        if (!earlier) aliases.set(address, members);
        else if (earlier.value.join(',') !== members.value.join(','))
          this.commentAlias(address, `${earlier.where} and ${members.where} differ; the first is kept`);
      }
    const byDomain = new Map<string, [string, string[]][]>();
    for (const [address, members] of [...aliases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const at = address.lastIndexOf('@');
      const [local, domain] = [address.slice(0, at), address.slice(at + 1)];
      const list = members.value.map((m) => (m.endsWith(`@${domain}`) ? m.slice(0, -domain.length - 1) : m));
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), [local, list]]);
    }
    for (const [domain, list] of byDomain) this.domain(domain).aliases = Object.fromEntries(list);
  }

  /** A backup's recipients are the domain's users and aliases; any other is said. */
  private backups(): void {
    for (const h of this.mail.filter((m) => m.role === 'relay')) {
      for (const { value: domain } of h.relayDomains) {
        const spec = this.domain(domain);
        const planned = new Set([
          ...Object.keys((spec.users as Doc | undefined) ?? {}),
          ...Object.keys((spec.aliases as Doc | undefined) ?? {}),
        ]);
        const extra = [...h.relayRecipients.keys()].filter(
          (a) => a.endsWith(`@${domain}`) && !planned.has(a.slice(0, -domain.length - 1)),
        );
        if (extra.length > 0)
          this.comment(
            ['domains', domain],
            `backup ${h.id} accepts ${extra.length} addresses no store knows (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', ...' : ''}); left out`,
          );
      }
    }
  }

  /** Plan-wide settings: the hop limit, queue lifetimes, proxied logins. */
  private plan(): void {
    const defaults = (this.doc.defaults as Doc | undefined) ?? {};
    this.doc.defaults = defaults;
    const hops = mostCommon(this.mail.map((h) => h.hopLimit).filter(Number.isFinite), String);
    if (hops !== undefined && hops !== DEFAULTS.hopLimit) defaults.hopLimit = hops;
    const lifetime = mostCommon(this.mail.map((h) => h.queueLifetime).filter(Number.isFinite), String);
    if (lifetime !== undefined && lifetime !== DEFAULTS.queueLifetime)
      defaults.queueLifetime = formatDuration(lifetime);
    for (const h of this.mail)
      if (Number.isFinite(h.queueLifetime) && h.queueLifetime !== (lifetime ?? DEFAULTS.queueLifetime))
        this.hostDocs[h.id]!.queue = { lifetime: formatDuration(h.queueLifetime) };
    this.comment(
      ['defaults'],
      `not in the configuration, so the defaults apply: planned outage ${formatDuration(DEFAULTS.plannedOutage)}, no connections per user`,
    );
    if (this.mail.some((h) => (h.dovecot?.proxied.size ?? 0) > 0)) this.doc.logins = { proxy: true };
    const hashes = this.mail.reduce((n, h) => n + (h.dovecot?.hashed ?? 0), 0);
    if (hashes > 0)
      this.comment(
        ['hosts'],
        `${hashes} password hashes are in the passdbs: passwords never live in the plan; give them to mxplan mta in its passwords file`,
      );
  }

  /** The domain's entry, made (with a guessed MX) when the zones did not show it. */
  private domain(name: string): DomainDoc {
    const docs = this.domainDocs;
    let spec = docs[name];
    if (spec) return spec;
    spec = {};
    const final = this.mail.filter((h) => h.finalDomains.some((d) => d.value === name));
    const backups = this.mail.filter((h) => h.relayDomains.some((d) => d.value === name));
    if (this.mail.some((h) => h.nullMx.includes(name))) spec.mx = null;
    else if (final.length + backups.length > 0) {
      spec.mx = [
        ...final.map((h, i) => ({ host: h.id, preference: 10 * (i + 1) })),
        ...backups.map((h, i) => ({ host: h.id, preference: 50 + 10 * i })),
      ];
      this.comment(
        ['domains', name, 'mx'],
        'guessed: no zone file shows this domain, so its final stores and its backups are its MX; import its zone file to read them',
      );
    }
    docs[name] = spec;
    return spec;
  }

  private commentUser(address: string, text: string): void {
    const at = address.lastIndexOf('@');
    this.comment(['domains', address.slice(at + 1), 'users', address.slice(0, at)], text);
  }

  private commentAlias(address: string, text: string): void {
    const at = address.lastIndexOf('@');
    this.comment(['domains', address.slice(at + 1), 'aliases', address.slice(0, at)], text);
  }
}

function sameAddresses(zone: HostDoc, host: MailHost): boolean {
  const list = (v: unknown) => ((v as string[] | undefined) ?? []).map(canonicalIP).sort().join(' ');
  return list(zone.ipv4) === list(host.ipv4) && list(zone.ipv6) === list(host.ipv6);
}

function addressList(ipv4: unknown, ipv6: unknown): string {
  const all = [...((ipv4 as string[] | undefined) ?? []), ...((ipv6 as string[] | undefined) ?? [])];
  return all.length > 0 ? all.join(', ') : 'no address';
}

/** The largest binary unit that is exact ("5GiB"), else bytes: a quota must not be rounded. */
function exactSize(bytes: number): string | number {
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  return bytes;
}
