/**
 * OpenDKIM 2.11 for a planned host that signs (RFC 6376 §5): opendkim.conf, KeyTable,
 * SigningTable and InternalHosts, printed from the same facts the relays sign by
 * (src/mail/dkim-sign.ts): the active selectors the host is a signer of (`activeSelectors`), and
 * for a From domain the nearest planned domain at or above it that the host signs for
 * (`signingDomainOf`). Postfix hands it the mail as a milter (postfix.ts).
 *
 * - Only what originates at the host is signed, as the relays sign only local submissions and
 *   DSNs: `Mode s` signs mail from InternalHosts, which holds the host's own addresses and
 *   loopback (Postfix presents sendmail(1) submissions and its own bounces to the milter as
 *   coming from 127.0.0.1), not the plan's other hosts: mail they relay through this one is not
 *   this host's to vouch for, and was signed where it was submitted.
 * - One signature per active RSA selector (Ed25519: see OPENDKIM_KEY_TYPES); MultipleSignatures,
 *   so a rotation's overlap or two RSA keys each sign, the SigningTable naming each key once per pattern.
 * - The same header fields as the relays, From oversigned (§5.4.2), relaxed/relaxed (§3.4).
 *
 * Private keys are never copied into the output: the KeyTable names where each is installed on
 * the host (`dkimKeys`), and the README says which topology key file goes there.
 */
import { SIGNED_HEADER_FIELDS } from '../mail/dkim-sign.js';
import type { HostPolicy } from '../routing/policy.js';
import { activeSelectors, signingDomainOf } from '../topology/dkim.js';
import type { DkimKeyType, DkimSelector } from '../topology/types.js';
import { GENERATED_MARK } from '../dns/zone-file.js';
import type { MtaPaths } from './paths.js';

/**
 * The milter socket, relative to Postfix's queue directory (where Postfix's daemons run, so
 * main.cf names it as it is here): a UNIX socket, so only the postfix user (in the socket's
 * group) can have mail signed, never any local process that can reach a TCP port.
 */
export const OPENDKIM_SOCKET = 'opendkim/opendkim.sock';

/**
 * The key types OpenDKIM signs with here. Debian 12's OpenDKIM (2.11.0~beta2) lists ed25519-sha256,
 * but a SigningTable entry for an Ed25519 key (PKCS #8 PEM, as `mxplan keys` writes it) got an
 * error reply and no signature in a miltertest trial, and OpenDKIM's default for an internal error
 * is to tempfail the message: every message would wait. So the Postfix engine signs with the RSA
 * selectors only, which every verifier checks (RFC 8463 §6 keeps RSA for them); the Ed25519 one
 * stays published and the relays sign with it.
 */
const OPENDKIM_KEY_TYPES: ReadonlySet<DkimKeyType> = new Set(['rsa']);

/** One private key the host needs: where the KeyTable expects it, and the topology's file. */
export interface KeyInstall {
  readonly path: string;
  readonly keyPath: string;
}

export interface OpendkimOutput {
  /** The files of opendkim/, by name. */
  readonly files: Map<string, string>;
  readonly keys: readonly KeyInstall[];
}

/** The host's OpenDKIM, or undefined when it signs for no domain (then Postfix has no milter). */
export function opendkimFiles(policy: HostPolicy, paths: MtaPaths): OpendkimOutput | undefined {
  const { host, plan } = policy;
  const signing = new Map<string, DkimSelector[]>();
  for (const domain of plan.domains.values()) {
    const selectors = activeSelectors(domain, host.id).filter((s) => OPENDKIM_KEY_TYPES.has(s.type));
    if (selectors.length > 0) signing.set(domain.name, selectors);
  }
  if (signing.size === 0) return undefined;

  const keyName = (s: DkimSelector) => `${s.selector.toLowerCase()}._domainkey.${s.domain}`;
  const keyFile = (s: DkimSelector) => `${paths.dkimKeys}/${s.domain}.${s.selector.toLowerCase()}.pem`;
  const selectors = [...signing.values()].flat();
  const keyTable = selectors.map((s) => `${keyName(s)} ${s.domain}:${s.selector.toLowerCase()}:${keyFile(s)}`);

  // refile patterns, checked in order and all applied (MultipleSignatures): `*@D` for each domain;
  // `*@*.D` for its subdomains when no other signing domain lies below D (else a From there would
  // match twice and be signed for both); the host's own name (MAILER-DAEMON@, root@) otherwise.
  const domains = [...signing.keys()].sort();
  const below = (d: string) => domains.some((o) => o !== d && o.endsWith(`.${d}`));
  const patterns: [pattern: string, domain: string][] = [];
  for (const d of domains) {
    patterns.push([`*@${d}`, d]);
    if (!below(d)) patterns.push([`*@*.${d}`, d]);
  }
  const own = signingDomainOf(host.fqdn, (d) => signing.has(d));
  if (own && own !== host.fqdn && below(own)) patterns.push([`*@${host.fqdn}`, own]);
  const signingTable = patterns.flatMap(([pattern, d]) => signing.get(d)!.map((s) => `${pattern} ${keyName(s)}`));

  const internal = ['127.0.0.1', '::1', ...host.ipv4, ...host.ipv6];
  const header = (about: string[]) => [
    `# ${GENERATED_MARK}: edit the topology, not this file.`,
    ...about.map((l) => `# ${l}`.trimEnd()),
  ];
  const files = new Map<string, string>();
  files.set(
    'opendkim.conf',
    lines([
      ...header([
        `OpenDKIM 2.11 of ${host.id} (${host.fqdn}): signs the mail that originates here, for Postfix's milter.`,
        '',
        'Paths: the only settings that differ between deployments of these files (README.md).',
      ]),
      `Socket local:${paths.postfixQueue}/${OPENDKIM_SOCKET}`,
      `PidFile ${paths.opendkimRun}/opendkim.pid`,
      `KeyTable file:${paths.opendkimConfig}/KeyTable`,
      `SigningTable refile:${paths.opendkimConfig}/SigningTable`,
      `InternalHosts file:${paths.opendkimConfig}/InternalHosts`,
      '',
      '# The socket: the opendkim user, its group (postfix is a member) and no one else.',
      'UserID opendkim',
      'UMask 007',
      'Syslog yes',
      'SyslogSuccess yes',
      '',
      "# Sign only (the plan's receivers verify), mail from InternalHosts only, with every key the",
      '# SigningTable gives, as the relays sign (src/mail/dkim-sign.ts); RSA only (README.md).',
      'Mode s',
      'MultipleSignatures yes',
      'Canonicalization relaxed/relaxed',
      `SignHeaders ${SIGNED_HEADER_FIELDS.join(',')}`,
      '# RFC 6376 §5.4.2: a From added on the way breaks the signature.',
      'OversignHeaders From',
      '# A key readable by anyone but its owner is refused (lint: dkim-key-private).',
      'RequireSafeKeys yes',
    ]),
  );
  files.set(
    'KeyTable',
    lines([
      ...header([
        'OpenDKIM KeyTable: one key per active selector this host signs with,',
        '<selector>._domainkey.<domain> <d=>:<s=>:<private key file on this host>.',
      ]),
      ...keyTable.sort(),
    ]),
  );
  files.set(
    'SigningTable',
    lines([
      ...header([
        'OpenDKIM SigningTable (refile): From address patterns, in order, each with a KeyTable key. A',
        'From domain signs for itself or the nearest planned domain above it that this host signs for.',
      ]),
      ...signingTable,
    ]),
  );
  files.set(
    'InternalHosts',
    lines([...header(['OpenDKIM InternalHosts: the clients whose mail is signed, this host itself.']), ...internal]),
  );
  const keys = selectors
    .map((s) => ({ path: keyFile(s), keyPath: s.keyPath }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, keys };
}

function lines(list: readonly string[]): string {
  return `${list.join('\n')}\n`;
}
