/**
 * A draft topology from zone files: what DNS says about a mail setup, in the plan's terms.
 *
 * - SOA and NS of the apexes become `dns.soa` and `dns.nameservers` (the SOA's MNAME first), the
 *   in-addr.arpa and ip6.arpa zones `dns.reverse`, the SOA TTL `defaults.ttl`;
 * - a zone with an MX or an SPF policy at its apex is a mail domain; other forward zones go to
 *   `zones:`;
 * - MX targets and PTR targets with addresses in the zones become hosts, named by their first
 *   label; a host whose addresses a domain's SPF authorises is a store that sends, any other a
 *   relay (a guess: DNS does not say what a host does);
 * - per domain: `mx` (`null` for RFC 7505's `0 .`), `senders` and `spf` from its SPF, `dmarc`,
 *   `mtaSts` (the id; mode and max_age live in the policy file, so they are guessed), `tlsRpt`,
 *   and `dkim`: each key record at `<selector>._domainkey` as a selector that pins its public key
 *   and is not active (which selector signs, and where its private key is, are not in DNS).
 * - the web host of each `mta-sts.<domain>` (RFC 8461 §3.3): the PTR target with the same
 *   addresses, else a web host named after the policy host itself; it goes to `web:`, not `hosts:`.
 *
 * Records the plan derives by itself (PTR, HELO SPF, DMARC report authorisations, delegations,
 * glue) are recognised; any other record is listed in a comment as left out. Users and aliases
 * are not in DNS: the draft has none. Every guess and every omission is a comment in the YAML.
 */
import { createPublicKey } from 'node:crypto';
import { isInZone } from '../topology/names.js';
import { canonicalIP, familyOf } from '../topology/ip.js';
import { formatDuration } from '../topology/units.js';
import { absoluteName, rdataText } from '../dns/presentation.js';
import { isModelRecord, type ResourceRecord, type ServedRecord, type SoaData } from '../dns/records.js';
import type { ParsedZone } from '../dns/zone-parser.js';
import { DEFAULTS } from '../topology/normalize.js';

/** A comment for the YAML: before the key at `path`, or after its value (`inline`). */
export interface DraftComment {
  readonly path: readonly (string | number)[];
  readonly text: string;
  readonly inline?: boolean;
}

export interface Draft {
  /** The topology document (plain data, in the schema's shape). */
  readonly document: Record<string, unknown>;
  readonly comments: readonly DraftComment[];
}

interface ZoneData {
  readonly origin: string;
  readonly file: string;
  readonly records: readonly ServedRecord[];
  readonly guessedOrigin: boolean;
}

/** Zones read from files; `guessed` names the ones whose origin came from the file name. */
export function draftTopology(parsed: readonly ParsedZone[], guessed: ReadonlySet<string> = new Set()): Draft {
  const zones: ZoneData[] = parsed.map((z) => ({
    origin: z.origin,
    file: z.file,
    records: z.records.map((r) => r.record),
    guessedOrigin: guessed.has(z.file),
  }));
  return new Importer(zones).draft();
}

class Importer {
  private readonly comments: DraftComment[] = [];
  /** Records the draft accounts for: the rest is listed as left out. */
  private readonly explained = new Set<ServedRecord>();
  private readonly all: ServedRecord[];

  constructor(private readonly zones: readonly ZoneData[]) {
    this.all = zones.flatMap((z) => z.records);
  }

  draft(): Draft {
    const mailZones = this.zones.filter((z) => !isReverse(z.origin) && this.isMailDomain(z));
    const infraZones = this.zones.filter((z) => !isReverse(z.origin) && !this.isMailDomain(z));
    const reverseZones = this.zones.filter((z) => isReverse(z.origin));

    const { soa, ttl } = this.soa();
    const nameservers = this.nameservers(soa?.mname);
    const web = this.webHosts(
      mailZones,
      nameservers.map((n) => n.name),
    );
    const hosts = this.hosts(
      nameservers.map((n) => n.name),
      new Set([...web.values()].map((w) => w.fqdn)),
    );
    const domains: Record<string, unknown> = {};
    for (const zone of mailZones) domains[zone.origin] = this.domain(zone, hosts, ttl, web);
    this.explainDerived(new Map([...hosts, ...[...web.values()].map((w) => [w.fqdn, w] as const)]), mailZones);

    const document: Record<string, unknown> = {
      version: 1,
      defaults: { ttl },
      dns: {
        soa: soa
          ? {
              contact: contactOf(soa.rname),
              refresh: soa.refresh,
              retry: soa.retry,
              expire: soa.expire,
              minimum: soa.minimum,
            }
          : { contact: 'hostmaster@invalid' },
        nameservers: nameservers.map((n) => ({
          name: n.name,
          ...(n.ipv4.length > 0 ? { ipv4: n.ipv4 } : {}),
          ...(n.ipv6.length > 0 ? { ipv6: n.ipv6 } : {}),
        })),
        ...(reverseZones.length > 0 ? { reverse: reverseZones.map((z) => reverseCidr(z.origin)) } : {}),
      },
      ...(infraZones.length > 0 ? { zones: infraZones.map((z) => z.origin) } : {}),
      hosts: Object.fromEntries(
        [...hosts.values()].map((h) => [
          h.id,
          {
            fqdn: h.fqdn,
            ...(h.ipv4.length > 0 ? { ipv4: h.ipv4 } : {}),
            ...(h.ipv6.length > 0 ? { ipv6: h.ipv6 } : {}),
            role: h.role,
          },
        ]),
      ),
      ...(web.size > 0
        ? {
            web: Object.fromEntries(
              [...new Map([...web.values()].map((w) => [w.id, w])).values()].map((w) => [
                w.id,
                {
                  fqdn: w.fqdn,
                  ...(w.ipv4.length > 0 ? { ipv4: w.ipv4 } : {}),
                  ...(w.ipv6.length > 0 ? { ipv6: w.ipv6 } : {}),
                },
              ]),
            ),
          }
        : {}),
      domains,
    };
    if (!soa) this.comment(['dns', 'soa'], 'no SOA in the zone files: set the contact and timers');
    this.comment(
      ['defaults'],
      `not in DNS, so the defaults apply: queue lifetime ${formatDuration(DEFAULTS.queueLifetime)}, planned outage ${formatDuration(DEFAULTS.plannedOutage)}, no quota`,
    );
    for (const h of hosts.values()) {
      this.comment(['hosts', h.id, 'role'], h.reason, true);
    }
    if (hosts.size > 0) this.comment(['hosts'], 'limits and queue lifetimes are not in DNS: add them');
    for (const zone of this.zones.filter((z) => z.guessedOrigin)) {
      const path = mailZones.includes(zone) ? ['domains', zone.origin] : ['dns'];
      this.comment(path, `the origin ${zone.origin} is guessed from the file name ${zone.file}`);
    }
    this.reportLeftOut(mailZones);
    return { document, comments: this.comments };
  }

  private comment(path: readonly (string | number)[], text: string, inline = false): void {
    this.comments.push({ path, text, inline });
  }

  private isMailDomain(zone: ZoneData): boolean {
    return zone.records.some((r) => r.name === zone.origin && (r.type === 'MX' || (r.type === 'TXT' && isSpf(r))));
  }

  private recordsAt(name: string, type: string): ServedRecord[] {
    return this.all.filter((r) => r.name === name && r.type === type);
  }

  /** The SOA most zones share (serials aside), and its TTL as the plan's. */
  private soa(): { soa: SoaData | undefined; ttl: number } {
    const soas = this.zones.flatMap((z) =>
      z.records.filter((r): r is Extract<ResourceRecord, { type: 'SOA' }> => r.type === 'SOA' && r.name === z.origin),
    );
    soas.forEach((s) => this.explained.add(s));
    const key = (s: (typeof soas)[number]) => JSON.stringify({ ...s.data, serial: 0, ttl: s.ttl });
    const common = mostCommon(soas, key);
    if (common && soas.some((s) => key(s) !== key(common)))
      this.comment(
        ['dns', 'soa'],
        'the zones have different SOA timers or contacts: the plan has one, this is the most common',
      );
    return { soa: common?.data, ttl: common?.ttl ?? DEFAULTS.ttl };
  }

  /** The NS set most apexes share, MNAME first, with the addresses the zones give them. */
  private nameservers(mname: string | undefined): { name: string; ipv4: string[]; ipv6: string[] }[] {
    const sets = this.zones.map((z) => {
      const ns = z.records.filter((r) => r.type === 'NS' && r.name === z.origin);
      ns.forEach((r) => this.explained.add(r));
      return ns.map((r) => r.data as string);
    });
    const common = mostCommon(sets, (s) => [...s].sort().join(' ')) ?? [];
    if (sets.some((s) => [...s].sort().join(' ') !== [...common].sort().join(' ')))
      this.comment(
        ['dns', 'nameservers'],
        'the zones have different NS sets: the plan has one, this is the most common',
      );
    const names = [...new Set(common)];
    names.sort((a, b) => (a === mname ? -1 : b === mname ? 1 : 0));
    return names.map((name) => ({ name, ...this.addressesOf(name) }));
  }

  private addressesOf(name: string): { ipv4: string[]; ipv6: string[] } {
    const a = this.recordsAt(name, 'A');
    const aaaa = this.recordsAt(name, 'AAAA');
    [...a, ...aaaa].forEach((r) => this.explained.add(r));
    return {
      ipv4: unique(a.map((r) => r.data as string)),
      ipv6: unique(aaaa.map((r) => canonicalIP(r.data as string))),
    };
  }

  /**
   * The web host behind each domain's policy host `mta-sts.<domain>`, by domain: the PTR target
   * (not a name server, not an MX target) with exactly its addresses, else the policy host itself.
   */
  private webHosts(mailZones: readonly ZoneData[], nameservers: readonly string[]): Map<string, WebHostDraft> {
    const mxTargets = new Set(
      this.all.filter((r) => r.type === 'MX').map((r) => (r.data as { exchange: string }).exchange),
    );
    const ptrTargets = unique(
      this.all
        .filter((r) => r.type === 'PTR' && !nameservers.includes(r.data) && !mxTargets.has(r.data))
        .map((r) => r.data as string),
    );
    const key = (a: { ipv4: string[]; ipv6: string[] }) => [...a.ipv4, ...a.ipv6].sort().join(' ');
    const byAddresses = new Map<string, string>();
    for (const fqdn of ptrTargets) {
      const addresses = this.peekAddresses(fqdn);
      if (addresses.ipv4.length + addresses.ipv6.length > 0) byAddresses.set(key(addresses), fqdn);
    }
    const web = new Map<string, WebHostDraft>();
    const ids = new Map<string, string>();
    for (const zone of mailZones) {
      const policyHost = `mta-sts.${zone.origin}`;
      const addresses = this.addressesOf(policyHost);
      if (addresses.ipv4.length + addresses.ipv6.length === 0) continue;
      const fqdn = byAddresses.get(key(addresses)) ?? policyHost;
      let id = ids.get(fqdn);
      if (id === undefined) {
        id = fqdn === policyHost ? policyHost.replaceAll('.', '-') : fqdn.split('.')[0]!;
        if ([...ids.values()].includes(id)) id = fqdn.replaceAll('.', '-');
        ids.set(fqdn, id);
      }
      web.set(zone.origin, { id, fqdn, ...this.addressesOf(fqdn) });
    }
    return web;
  }

  /** A name's addresses, without counting them as explained. */
  private peekAddresses(name: string): { ipv4: string[]; ipv6: string[] } {
    return {
      ipv4: unique(this.recordsAt(name, 'A').map((r) => r.data as string)),
      ipv6: unique(this.recordsAt(name, 'AAAA').map((r) => canonicalIP(r.data as string))),
    };
  }

  /** MX and PTR targets with addresses in the zones, by id (web hosts left out). */
  private hosts(nameservers: readonly string[], web: ReadonlySet<string>): Map<string, ImportedHost> {
    const targets: string[] = [];
    for (const r of this.all) {
      if (r.type === 'MX' && (r.data as ResourceRecord['data'] & { exchange: string }).exchange !== '')
        targets.push((r.data as { exchange: string }).exchange);
      if (r.type === 'PTR' && !nameservers.includes(r.data) && !web.has(r.data)) targets.push(r.data);
    }
    const hosts = new Map<string, ImportedHost>();
    const taken = new Set<string>();
    for (const fqdn of unique(targets)) {
      const { ipv4, ipv6 } = this.addressesOf(fqdn);
      if (ipv4.length + ipv6.length === 0) continue;
      let id = fqdn.split('.')[0]!;
      if (taken.has(id)) id = fqdn.replaceAll('.', '-');
      taken.add(id);
      const sendsFor = this.domainsAuthorising([...ipv4, ...ipv6]);
      const role = sendsFor.length > 0 ? 'store' : 'relay';
      const reason =
        role === 'store'
          ? `guessed: the SPF of ${sendsFor.join(', ')} authorises it, so a mailbox store that sends`
          : 'guessed: no SPF authorises it, so a relay-only backup MX';
      hosts.set(fqdn, { id, fqdn, ipv4, ipv6, role, reason });
    }
    return hosts;
  }

  /** The mail domains whose SPF names every one of these addresses. */
  private domainsAuthorising(addresses: readonly string[]): string[] {
    const domains: string[] = [];
    for (const zone of this.zones) {
      const spf = zone.records.find((r) => r.name === zone.origin && r.type === 'TXT' && isSpf(r as ResourceRecord));
      if (!spf) continue;
      const { ip } = parseSpf(spfText(spf as ResourceRecord));
      if (addresses.every((a) => ip.has(a))) domains.push(zone.origin);
    }
    return domains;
  }

  private domain(
    zone: ZoneData,
    hosts: ReadonlyMap<string, ImportedHost>,
    planTtl: number,
    web: ReadonlyMap<string, WebHostDraft>,
  ): Record<string, unknown> {
    const path = ['domains', zone.origin];
    const at = (type: string, name = zone.origin) => zone.records.filter((r) => r.name === name && r.type === type);
    const spec: Record<string, unknown> = {};
    const mx = at('MX') as Extract<ResourceRecord, { type: 'MX' }>[];
    mx.forEach((r) => this.explained.add(r));
    const nullMx = mx.length === 1 && mx[0]!.data.exchange === '' && mx[0]!.data.preference === 0;
    if (nullMx) spec.mx = null;
    else if (mx.length > 0) {
      spec.mx = mx.map((r) => ({
        host: hosts.get(r.data.exchange)?.id ?? r.data.exchange,
        preference: r.data.preference,
      }));
      const foreign = mx.filter((r) => !hosts.has(r.data.exchange)).map((r) => r.data.exchange);
      if (foreign.length > 0)
        this.comment([...path, 'mx'], `${foreign.join(', ')}: no address in these zones, so not a planned host`);
    } else {
      this.comment(path, 'no MX: senders fall back to the address records of the domain (RFC 5321 §5.1)');
    }

    const spfRecords = at('TXT').filter((r) => isSpf(r as ResourceRecord)) as ResourceRecord[];
    spfRecords.forEach((r) => this.explained.add(r));
    if (!nullMx && spfRecords.length > 0) this.spf(spfText(spfRecords[0]!), hosts, spec, path);
    if (spfRecords.length > 1)
      this.comment(path, 'several SPF records (a permerror, RFC 7208 §4.5): the first is used');

    const dmarc = at('TXT', `_dmarc.${zone.origin}`).find((r) => /^v=DMARC1/i.test(text(r)));
    if (dmarc) {
      this.explained.add(dmarc);
      const parsed = this.dmarc(text(dmarc), [...path, 'dmarc']);
      // RFC 7505 §4.2: what a null-MX domain publishes anyway.
      if (!(nullMx && text(dmarc) === 'v=DMARC1; p=reject')) spec.dmarc = parsed;
    }
    const sts = at('TXT', `_mta-sts.${zone.origin}`).find((r) => /^v=STSv1/i.test(text(r)));
    if (sts) {
      this.explained.add(sts);
      const id = /(?:^|;)\s*id=([A-Za-z0-9]+)/.exec(text(sts))?.[1];
      const host = web.get(zone.origin)?.id;
      spec.mtaSts = { mode: 'testing', ...(id ? { id } : {}), ...(host ? { host } : {}) };
      this.comment(
        [...path, 'mtaSts', 'mode'],
        'guessed: the mode and max_age are in the policy file, not in DNS',
        true,
      );
    }
    const rpt = at('TXT', `_smtp._tls.${zone.origin}`).find((r) => /^v=TLSRPTv1/i.test(text(r)));
    if (rpt) {
      this.explained.add(rpt);
      const rua = /(?:^|;)\s*rua=([^;]+)/.exec(text(rpt))?.[1];
      spec.tlsRpt = {
        rua: (rua ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      };
    }

    const dkim = this.dkim(zone, [...path, 'dkim']);
    if (dkim.length > 0) spec.dkim = dkim;

    const ttls = zone.records.filter((r) => r.type !== 'SOA' && !(r.type === 'NS' && r.name === zone.origin));
    const ttl = mostCommon(ttls, (r) => String(r.ttl))?.ttl;
    if (ttl !== undefined && ttl !== planTtl) spec.ttl = ttl;
    return spec;
  }

  private spf(
    policy: string,
    hosts: ReadonlyMap<string, ImportedHost>,
    spec: Record<string, unknown>,
    path: string[],
  ): void {
    const { ip, include, all, other } = parseSpf(policy);
    const senders = [...hosts.values()].filter((h) => [...h.ipv4, ...h.ipv6].every((a) => ip.has(a)));
    const covered = new Set(senders.flatMap((h) => [...h.ipv4, ...h.ipv6]));
    const rest = [...ip.keys()].filter((a) => !covered.has(a));
    spec.senders = senders.map((h) => h.id);
    this.comment([...path, 'senders'], 'from SPF: users are not in DNS, so the hosts that send are listed');
    const spf: Record<string, unknown> = {};
    if (all !== '-all') spf.policy = all;
    if (include.length > 0) spf.include = include;
    const ip4 = rest.filter((a) => familyOf(a.split('/')[0]!) === 4);
    const ip6 = rest.filter((a) => familyOf(a.split('/')[0]!) === 6);
    if (ip4.length > 0) spf.ip4 = ip4;
    if (ip6.length > 0) spf.ip6 = ip6;
    if (Object.keys(spf).length > 0) spec.spf = spf;
    if (other.length > 0)
      this.comment([...path, 'senders'], `SPF terms the plan cannot state, left out: ${other.join(' ')}`);
  }

  private dmarc(record: string, path: string[]): Record<string, unknown> {
    const tags = new Map<string, string>();
    for (const part of record.split(';')) {
      const m = /^\s*([a-z]+)\s*=\s*(.*?)\s*$/i.exec(part);
      if (m) tags.set(m[1]!.toLowerCase(), m[2]!);
    }
    const mailto = (list: string | undefined) =>
      (list ?? '')
        .split(',')
        .map((u) => u.trim().replace(/^mailto:/i, ''))
        .filter(Boolean);
    const dmarc: Record<string, unknown> = { policy: tags.get('p') ?? 'none' };
    if (tags.has('sp')) dmarc.subdomainPolicy = tags.get('sp');
    if (tags.has('pct')) dmarc.pct = Number(tags.get('pct'));
    if (tags.has('rua')) dmarc.rua = mailto(tags.get('rua'));
    if (tags.has('ruf')) dmarc.ruf = mailto(tags.get('ruf'));
    const rest = [...tags.keys()].filter((t) => !['v', 'p', 'sp', 'pct', 'rua', 'ruf'].includes(t));
    if (rest.length > 0) this.comment(path, `DMARC tags the plan cannot state, left out: ${rest.join(', ')}`);
    if (!tags.has('p')) this.comment(path, 'the record has no p= tag: guessed none');
    return dmarc;
  }

  /**
   * The DKIM key records of a domain (RFC 6376 §3.6.1) as selectors: the public key pinned, the
   * algorithm read from k= and the key itself, a key path by the `mxplan keys` convention, and
   * `active: false` until the user says which selector signs. A revoked key (empty p=) is left out:
   * the plan publishes one only for a selector it knows was retired, and when.
   */
  private dkim(zone: ZoneData, path: readonly (string | number)[]): Record<string, unknown>[] {
    const suffix = `._domainkey.${zone.origin}`;
    const selectors: Record<string, unknown>[] = [];
    const records = zone.records
      .filter((r) => r.type === 'TXT' && r.name.endsWith(suffix) && /^v=DKIM1(;|$)/i.test(text(r).trim()))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const r of records) {
      const tags = new Map(
        text(r)
          .split(';')
          .map((t) => t.trim().split('='))
          .filter((kv) => kv.length >= 2)
          .map(([k, ...v]) => [k!.toLowerCase(), v.join('=').replace(/\s+/g, '')] as const),
      );
      const selector = r.name.slice(0, -suffix.length);
      const p = tags.get('p') ?? '';
      const algorithm = keyAlgorithm(tags.get('k') ?? 'rsa', p);
      if (!p || !algorithm) {
        this.comment(path, `${selector}: ${p ? 'a key mxplan cannot read' : 'a revoked key (empty p=)'}, left out`);
        continue;
      }
      this.explained.add(r);
      selectors.push({ selector, algorithm, key: `keys/${zone.origin}.${selector}.pem`, publicKey: p, active: false });
      this.comment(
        [...path, selectors.length - 1, 'active'],
        'guessed: DNS does not say which selector signs, nor where its private key is',
        true,
      );
    }
    return selectors;
  }

  /** Marks the records the plan would derive on its own from what the draft already holds. */
  private explainDerived(hosts: ReadonlyMap<string, unknown>, mailZones: readonly ZoneData[]): void {
    const planned = new Set([...hosts.keys(), ...this.all.filter((r) => r.type === 'NS').map((r) => r.data as string)]);
    const origins = this.zones.map((z) => z.origin);
    for (const r of this.all) {
      if (r.type === 'PTR' && planned.has(r.data)) this.explained.add(r);
      // RFC 7208 §2.3: the SPF of a host's HELO name.
      if (r.type === 'TXT' && hosts.has(r.name) && isSpf(r)) this.explained.add(r);
      // RFC 7489 §7.1: D._report._dmarc.R, for D's reports to R.
      if (
        r.type === 'TXT' &&
        /\._report\._dmarc\./.test(r.name) &&
        mailZones.some((z) => r.name.startsWith(`${z.origin}._report._dmarc.`))
      )
        this.explained.add(r);
      // A delegation to another imported zone, and its glue, follow from the NS set.
      if (r.type === 'NS' && origins.includes(r.name)) this.explained.add(r);
    }
  }

  private reportLeftOut(mailZones: readonly ZoneData[]): void {
    for (const zone of this.zones) {
      const left = zone.records.filter((r) => !this.explained.has(r));
      if (left.length === 0) continue;
      const lines = left.map((r) => `${absoluteName(r.name)} ${r.type} ${isModelRecord(r) ? rdataText(r) : r.data}`);
      const path = mailZones.includes(zone)
        ? ['domains', zone.origin]
        : isInZone(zone.origin, 'arpa')
          ? ['dns', 'reverse']
          : ['zones'];
      this.comment(
        path,
        `left out of zone ${zone.origin} (the plan does not derive them):\n${lines.map((l) => `  ${l}`).join('\n')}`,
      );
    }
  }
}

interface WebHostDraft {
  readonly id: string;
  readonly fqdn: string;
  readonly ipv4: string[];
  readonly ipv6: string[];
}

interface ImportedHost {
  readonly id: string;
  readonly fqdn: string;
  readonly ipv4: string[];
  readonly ipv6: string[];
  readonly role: 'store' | 'relay';
  readonly reason: string;
}

function isReverse(origin: string): boolean {
  return isInZone(origin, 'in-addr.arpa') || isInZone(origin, 'ip6.arpa');
}

/** "2.0.192.in-addr.arpa" → "192.0.2.0/24"; "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa" → "2001:db8:10::/48". */
export function reverseCidr(origin: string): string {
  if (isInZone(origin, 'in-addr.arpa')) {
    const octets = origin.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    return `${[...octets, '0', '0', '0', '0'].slice(0, 4).join('.')}/${octets.length * 8}`;
  }
  const nibbles = origin.slice(0, -'.ip6.arpa'.length).split('.').reverse();
  const hex = [...nibbles, ...Array<string>(32).fill('0')].slice(0, 32).join('');
  const groups = hex.match(/.{4}/g)!.join(':');
  return `${canonicalIP(groups)}/${nibbles.length * 4}`;
}

/** RFC 1035 §8: the RNAME's first label is the local part ("first\.last.example.org"). */
function contactOf(rname: string): string {
  const m = /^((?:[^.\\]|\\.)*)\.(.*)$/.exec(rname);
  if (!m) return rname;
  return `${m[1]!.replaceAll('\\.', '.')}@${m[2]}`;
}

/** `ed25519`, or `rsa-<bits>` from the key itself; undefined for a key that is neither. */
function keyAlgorithm(k: string, p: string): string | undefined {
  if (k.toLowerCase() === 'ed25519') return Buffer.from(p, 'base64').length === 32 ? 'ed25519' : undefined;
  if (k.toLowerCase() !== 'rsa') return undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'rsa' ? `rsa-${key.asymmetricKeyDetails?.modulusLength ?? 0}` : undefined;
  } catch {
    return undefined;
  }
}

/** The text of a TXT record (its strings joined, RFC 7208 §3.3); "" for any other record. */
function text(record: ServedRecord): string {
  return record.type === 'TXT' && Array.isArray(record.data) ? (record.data as readonly string[]).join('') : '';
}

function isSpf(record: ServedRecord): boolean {
  return record.type === 'TXT' && /^v=spf1( |$)/i.test(text(record));
}

function spfText(record: ResourceRecord): string {
  return text(record);
}

/** The SPF terms the plan can state: ip4/ip6 addresses and networks, include, and the `all` qualifier. */
function parseSpf(policy: string): { ip: Map<string, true>; include: string[]; all: string; other: string[] } {
  const ip = new Map<string, true>();
  const include: string[] = [];
  const other: string[] = [];
  let all = '-all';
  for (const term of policy.split(/\s+/).slice(1)) {
    const m = /^(ip4|ip6|include):(.+)$/i.exec(term);
    if (m && m[1]!.toLowerCase() === 'include') include.push(m[2]!.toLowerCase());
    else if (m) {
      const [address, prefix] = m[2]!.split('/');
      const canonical = familyOf(address!) === 6 ? canonicalIP(address!) : address!;
      ip.set(prefix ? `${canonical}/${prefix}` : canonical, true);
    } else if (/^[-~?+]?all$/i.test(term)) all = term.length === 3 ? '+all' : term.toLowerCase();
    else if (term) other.push(term);
  }
  return { ip, include, all, other };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** The item whose key is most frequent; on a tie, the first. */
function mostCommon<T>(items: readonly T[], key: (item: T) => string): T | undefined {
  const counts = new Map<string, { item: T; n: number }>();
  for (const item of items) {
    const k = key(item);
    const entry = counts.get(k);
    if (entry) entry.n++;
    else counts.set(k, { item, n: 1 });
  }
  let best: { item: T; n: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.n > best.n) best = entry;
  return best?.item;
}
