/**
 * The resolved plan: the only model code past `normalize` reads.
 *
 * Canonical forms, settled once in normalize:
 * - domain and host names are lowercase A-labels without the trailing dot ("mail1.infra.example");
 * - addresses are `local@domain` with the domain canonical and the local part lowercased
 *   (mxplan plans case-insensitive mailboxes, as every common MTA configures them);
 * - durations are seconds, sizes are bytes;
 * - every node carries the location of its source, for findings.
 */
import type { KeyObject } from 'node:crypto';
import type { RuleLevel, SourceLocation } from '../diagnostics.js';
import type { AddressBook } from './address-book.js';

export type HostRole = 'store' | 'relay';

export interface HostLimits {
  readonly connections?: number;
  readonly mailboxes?: number;
  /** Bytes. */
  readonly storage?: number;
}

/** How many SMTP sessions a host serves at once (Postfix: smtpd process limit, anvil's per-client count). */
export interface SmtpLimits {
  readonly sessions: number;
  /** From one client address. */
  readonly sessionsPerClient: number;
}

export interface Host {
  readonly id: string;
  readonly fqdn: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly role: HostRole;
  /** The name the host gives in EHLO; defaults to its fqdn. */
  readonly helo: string;
  /** Whether it sends mail to the Internet (and so belongs in SPF). Stores do by default, relays do not. */
  readonly sends: boolean;
  readonly limits: HostLimits;
  /** Seconds a message may wait in this host's queue before it is bounced. */
  readonly queueLifetime: number;
  readonly smtp: SmtpLimits;
  readonly at: SourceLocation;
  readonly fields: FieldLocations<'fqdn' | 'ipv4' | 'ipv6' | 'role' | 'limits' | 'helo' | 'queue' | 'smtp'>;
}

/** One MX record as planned. `host` is set when the target is a planned host. */
export interface MxEntry {
  readonly preference: number;
  /** Canonical exchange name; for a planned host, its fqdn. */
  readonly exchange: string;
  /** What the topology said, before resolution (a host id, a name, or an IP literal by mistake). */
  readonly raw: string;
  readonly host: Host | undefined;
  readonly at: SourceLocation;
}

export interface User {
  readonly local: string;
  readonly address: string;
  readonly domain: string;
  /** The host id named in the topology (it may not exist: lint says so). */
  readonly homeId: string;
  readonly home: Host | undefined;
  /** Bytes, when planned. */
  readonly quota: number | undefined;
  readonly at: SourceLocation;
}

export interface AliasMember {
  /** Canonical full address (a bare local part is completed with the alias's domain). */
  readonly address: string;
  readonly raw: string;
  readonly at: SourceLocation;
}

export interface Alias {
  readonly local: string;
  readonly address: string;
  readonly domain: string;
  readonly members: readonly AliasMember[];
  readonly at: SourceLocation;
}

export interface SpfPolicy {
  /** The `all` qualifier the record ends with. */
  readonly all: '-all' | '~all' | '?all' | '+all';
  readonly include: readonly string[];
  readonly ip4: readonly string[];
  readonly ip6: readonly string[];
  readonly at: SourceLocation | undefined;
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface Dmarc {
  readonly policy: string;
  readonly subdomainPolicy: string | undefined;
  readonly pct: number | undefined;
  /** mailto: URIs without the scheme, canonical addresses. */
  readonly rua: readonly string[];
  readonly ruf: readonly string[];
  readonly at: SourceLocation;
}

/**
 * A web host: an HTTPS server of the plan (the MTA-STS policy host). It receives no mail; its
 * name and addresses are published like a mail host's.
 */
export interface WebHost {
  readonly id: string;
  readonly fqdn: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly at: SourceLocation;
}

export interface MtaSts {
  readonly mode: 'enforce' | 'testing' | 'none';
  /** The id as written; undefined: derived from the policy file (tls/mta-sts.ts policyId). */
  readonly id: string | undefined;
  /** Seconds. */
  readonly maxAge: number;
  /** The web host id as written (it may not exist: lint says so). */
  readonly hostId: string | undefined;
  readonly host: WebHost | undefined;
  /**
   * The policy's `mx:` patterns, canonical (lowercase A-labels, `*.` kept): as written, or by
   * default every MX exchange of the domain in preference order.
   */
  readonly mx: readonly string[];
  /** Whether the topology wrote the patterns (else they follow the MX set, and cover it by construction). */
  readonly mxDeclared: boolean;
  readonly at: SourceLocation;
  readonly fields: FieldLocations<'id' | 'host' | 'mx'>;
}

export interface TlsRpt {
  readonly rua: readonly string[];
  readonly at: SourceLocation;
}

/** The key types DKIM signs with: RSA (RFC 6376 §3.3.1) and Ed25519 (RFC 8463). */
export type DkimKeyType = 'rsa' | 'ed25519';

/**
 * What the loader found at a selector's key path. A key that loads carries its parsed private key
 * (parsed once per plan: signing never parses a key again) and the public key as the record's p=
 * value (RFC 6376 §3.6.1: base64 of the DER SubjectPublicKeyInfo for RSA; RFC 8463 §4.2: base64 of
 * the 32 raw octets for Ed25519).
 */
export type DkimKey =
  | {
      readonly status: 'ok';
      readonly type: DkimKeyType;
      /** The modulus length of an RSA key; 256 for Ed25519. */
      readonly bits: number;
      readonly privateKey: KeyObject;
      readonly publicKey: string;
      /** The file's permission bits, where the file system keeps POSIX modes. */
      readonly mode: number | undefined;
    }
  /** `missing`: no file (`mxplan keys` makes it); `unreadable`: the file cannot be read; `invalid`: it holds no private key. */
  | { readonly status: 'missing' | 'unreadable' | 'invalid'; readonly reason: string };

/** A day of the DKIM lifecycle as written (2026-11-01), and its start in ms since the epoch (UTC). */
export interface PlanDay {
  readonly text: string;
  /** NaN when the text names no day of the calendar (2026-02-30). */
  readonly time: number;
}

/**
 * One DKIM selector of a domain (RFC 6376 §3.1): a key pair whose public half is published at
 * `<selector>._domainkey.<domain>`. Its life: published ahead (`active: false`), active (its
 * signers sign with it), retired (published, no longer signing, while mail it signed may still
 * wait in a queue), removed (published revoked, `p=`, RFC 6376 §3.6.1).
 */
export interface DkimSelector {
  readonly selector: string;
  readonly domain: string;
  /** As written (`rsa-2048`, `ed25519`), and what it says. */
  readonly algorithm: string;
  readonly type: DkimKeyType;
  /** Declared: the RSA modulus length, 256 for Ed25519. */
  readonly bits: number;
  /** The key path as the topology gives it, placeholders filled, and resolved against the topology's directory. */
  readonly keyPath: string;
  readonly keyFile: string;
  readonly key: DkimKey;
  /** The p= value the topology pins (the public key as deployed), when it does. */
  readonly pinnedPublicKey: string | undefined;
  /**
   * The p= value the record publishes: the pinned one, else the key file's; "" once removed
   * (revoked); undefined when neither is known (no record is published).
   */
  readonly published: string | undefined;
  /** The hosts that sign with it: its `hosts`, else every host the domain's mail leaves from. */
  readonly signers: readonly Host[];
  /** `hosts` entries that name no planned host: left out of `signers`, kept for lint. */
  readonly unknownSigners: readonly Unresolved[];
  /** Its signers sign with it: not retired, not removed, and not `active: false`. */
  readonly active: boolean;
  readonly retired: PlanDay | undefined;
  readonly removed: PlanDay | undefined;
  /** Taken from `defaults.dkim`: its location is the default's. */
  readonly fromDefaults: boolean;
  readonly at: SourceLocation;
  readonly fields: FieldLocations<'key' | 'algorithm' | 'hosts' | 'retired' | 'removed' | 'publicKey'>;
}

export interface Domain {
  readonly name: string;
  /** As written, before IDN conversion (for messages). */
  readonly display: string;
  /** RFC 7505: `mx: null` means the domain receives no mail. */
  readonly nullMx: boolean;
  /** False when the topology gives no `mx` key: senders fall back to the implicit MX. */
  readonly mxDeclared: boolean;
  /** Sorted by preference, then as written. */
  readonly mx: readonly MxEntry[];
  readonly users: ReadonlyMap<string, User>;
  /** The host ids its users name as home (as written), so "does host H store mail of this domain" is one lookup. */
  readonly homeIds: ReadonlySet<string>;
  /** Users defined a second time (in YAML and CSV, or twice in CSV): the first definition is kept. */
  readonly repeatedUsers: readonly User[];
  readonly aliases: ReadonlyMap<string, Alias>;
  /** Aliases written a second time under another spelling (`Sales:` and `sales:`): the first is kept. */
  readonly repeatedAliases: readonly Alias[];
  /** Hosts that send mail for this domain (explicit `senders`, else the users' home hosts that send). */
  readonly senders: readonly Host[];
  /** `senders` entries that name no planned host: left out of `senders`, kept for lint (spf-senders-planned). */
  readonly unknownSenders: readonly Unresolved[];
  /**
   * Every host mail in the domain's name leaves from, sorted by id: its senders, and the home
   * hosts of its users that send (a user submits at its home host, which delivers to the
   * recipient's MX itself). Equal to `senders` unless an explicit `senders` leaves a home host out.
   */
  readonly outbound: readonly Host[];
  /** Its DKIM selectors (its own `dkim`, else `defaults.dkim`), as written. */
  readonly dkim: readonly DkimSelector[];
  readonly spf: SpfPolicy;
  readonly dmarc: Dmarc | undefined;
  readonly mtaSts: MtaSts | undefined;
  readonly tlsRpt: TlsRpt | undefined;
  readonly ttl: number;
  readonly at: SourceLocation;
  readonly fields: FieldLocations<'mx' | 'users' | 'aliases' | 'spf' | 'dmarc' | 'senders' | 'dkim'>;
}

export interface NameServer {
  readonly name: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly at: SourceLocation;
}

export interface Soa {
  /** The contact as an address (hostmaster@infra.example). */
  readonly contact: string;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** RFC 2308: the negative-caching TTL. */
  readonly minimum: number;
  readonly at: SourceLocation;
}

export interface ReverseZone {
  /** The network as written, canonical ("192.0.2.0/24", "2001:db8::/48"). */
  readonly cidr: string;
  readonly family: 4 | 6;
  /** The in-addr.arpa / ip6.arpa zone name. */
  readonly zone: string;
  /** On an octet (IPv4) or nibble (IPv6) boundary; RFC 2317 classless zones are not generated. */
  readonly aligned: boolean;
  readonly at: SourceLocation;
}

export interface InfraZone {
  readonly name: string;
  readonly at: SourceLocation;
}

export type { RuleLevel };

/** How users log in to read their mail (IMAP, POP3). */
export interface Logins {
  /** Every store proxies the logins of users homed on another store to their home (Dovecot `proxy`). */
  readonly proxy: boolean;
  /** The topology's `logins`, when it has one. */
  readonly at: SourceLocation | undefined;
}

export interface Plan {
  /** The topology file. */
  readonly file: string;
  readonly ttl: number;
  /** RFC 5321 §6.3: the hop count at which relays bounce instead of forwarding. */
  readonly hopLimit: number;
  /** Seconds the organisation plans for its longest outage of one host. */
  readonly plannedOutage: number;
  /** Average simultaneous POP/IMAP connections per user at peak. */
  readonly connectionsPerUser: number;
  readonly soa: Soa;
  readonly nameservers: readonly NameServer[];
  readonly reverse: readonly ReverseZone[];
  /** `dns.reverse` entries that are not networks (300.0.0.0/8): left out of `reverse`, kept for lint (reverse-zone-valid). */
  readonly invalidReverse: readonly Unresolved[];
  readonly zones: readonly InfraZone[];
  readonly hosts: ReadonlyMap<string, Host>;
  /** Web hosts (`web:`), by id. */
  readonly web: ReadonlyMap<string, WebHost>;
  readonly domains: ReadonlyMap<string, Domain>;
  /**
   * Domain blocks whose name equals an earlier one's once canonical (`ACME.example:` after
   * `acme.example:`, or a U-label after its A-label): the first is kept, these are for lint.
   */
  readonly repeatedDomains: readonly Domain[];
  /** Every planned address (users and aliases), by canonical address. */
  readonly addresses: AddressBook;
  readonly logins: Logins;
  /** Per-rule levels from the topology's `lint.rules`, with where each was set. */
  readonly ruleLevels: ReadonlyMap<string, { readonly level: RuleLevel; readonly at: SourceLocation }>;
  readonly at: SourceLocation;
}

/** A value the topology wrote that normalize could not resolve, kept so lint can name it. */
export interface Unresolved {
  readonly raw: string;
  readonly at: SourceLocation;
}

export type PlannedAddress =
  { readonly kind: 'user'; readonly user: User } | { readonly kind: 'alias'; readonly alias: Alias };

/** Where each named field of a node was written (for findings about that field). */
export type FieldLocations<K extends string> = Readonly<Partial<Record<K, SourceLocation>>>;
