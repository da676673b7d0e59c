/**
 * OpenDKIM 2.11 for a planned host that signs (RFC 6376 §5): per signature algorithm the host
 * signs with, a configuration, KeyTable and SigningTable (OPENDKIM_INSTANCES), and the
 * InternalHosts both read, printed from the same facts the relays sign by
 * (src/mail/dkim-sign.ts): the active selectors the host is a signer of (`activeSelectors`), and
 * for a From domain the nearest planned domain at or above it that the host signs for
 * (`signingDomainOf`). Postfix hands it the mail as a milter (postfix.ts).
 *
 * - Only what originates at the host is signed, as the relays sign only local submissions and
 *   DSNs: `Mode s` signs mail from InternalHosts, which holds the host's own addresses and
 *   loopback (Postfix presents sendmail(1) submissions and its own bounces to the milter as
 *   coming from 127.0.0.1), not the plan's other hosts: mail they relay through this one is not
 *   this host's to vouch for, and was signed where it was submitted.
 * - One signature per active selector, RSA and Ed25519 each by its own instance; MultipleSignatures,
 *   so a rotation's overlap or two keys of one type each sign, the SigningTable naming each key
 *   once per pattern.
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
 * One OpenDKIM instance per signature algorithm. OpenDKIM 2.11 signs with the one algorithm of its
 * `SignatureAlgorithm`, whatever the key: given an Ed25519 key, the default rsa-sha256 instance
 * logs "expecting an rsa key" and answers with an error, and an ed25519-sha256 one does not sign
 * with RSA keys. RFC 8463 §6 wants both signatures (RSA for the verifiers that know no Ed25519),
 * so a host signing with both key types runs two instances, each with its own configuration,
 * tables, socket and pid file, as two milters of Postfix (postfix.ts), in this order.
 *
 * The socket is relative to Postfix's queue directory (where its daemons run, so main.cf names
 * it as it is here): a UNIX socket, so only the postfix user (in the socket's group) can have mail
 * signed, never any local process that can reach a TCP port.
 */
export interface OpendkimInstance {
  readonly type: DkimKeyType;
  /** Its `SignatureAlgorithm` (RFC 6376 §3.3, RFC 8463 §3). */
  readonly algorithm: string;
  /** Its configuration, KeyTable and SigningTable: file names in opendkim/. */
  readonly config: string;
  readonly keyTable: string;
  readonly signingTable: string;
  /** Its milter socket, relative to Postfix's queue directory. */
  readonly socket: string;
  /** Its PidFile, in MtaPaths.opendkimRun. */
  readonly pidFile: string;
  /** Its systemd unit in production (Debian's opendkim.service, and a second one beside it). */
  readonly unit: string;
}

/** The directory of the milter sockets, relative to Postfix's queue directory (one for all instances). */
export const OPENDKIM_SOCKET_DIR = 'opendkim';

function instance(type: DkimKeyType, suffix: string): OpendkimInstance {
  return {
    type,
    algorithm: `${type}-sha256`,
    config: `opendkim${suffix}.conf`,
    keyTable: `KeyTable${suffix}`,
    signingTable: `SigningTable${suffix}`,
    socket: `${OPENDKIM_SOCKET_DIR}/opendkim${suffix}.sock`,
    pidFile: `opendkim${suffix}.pid`,
    unit: `opendkim${suffix}.service`,
  };
}

/** The instances in milter order. RSA keeps Debian's own names, so its service runs it unchanged. */
export const OPENDKIM_INSTANCES: readonly OpendkimInstance[] = [instance('rsa', ''), instance('ed25519', '-ed25519')];

/** InternalHosts, one file both instances read: which clients' mail is signed does not depend on the algorithm. */
const INTERNAL_HOSTS = 'InternalHosts';

/** The instances that read `file` (a name in opendkim/): each must reload when it changes. */
export function instancesReading(file: string): OpendkimInstance[] {
  return OPENDKIM_INSTANCES.filter(
    (i) => file === INTERNAL_HOSTS || [i.config, i.keyTable, i.signingTable].includes(file),
  );
}

/** One private key the host needs: where the KeyTable expects it, and the topology's file. */
export interface KeyInstall {
  readonly path: string;
  readonly keyPath: string;
}

export interface OpendkimOutput {
  /** The files of opendkim/, by name. */
  readonly files: Map<string, string>;
  readonly keys: readonly KeyInstall[];
  /** The instances the host runs, in milter order: those with a key to sign with. */
  readonly instances: readonly OpendkimInstance[];
}

/** The host's OpenDKIM, or undefined when it signs for no domain (then Postfix has no milter). */
export function opendkimFiles(policy: HostPolicy, paths: MtaPaths): OpendkimOutput | undefined {
  const { host, plan } = policy;
  const signing = new Map<string, DkimSelector[]>();
  for (const domain of plan.domains.values()) {
    const selectors = activeSelectors(domain, host.id);
    if (selectors.length > 0) signing.set(domain.name, selectors);
  }
  if (signing.size === 0) return undefined;

  const keyName = (s: DkimSelector) => `${s.selector.toLowerCase()}._domainkey.${s.domain}`;
  const keyFile = (s: DkimSelector) => `${paths.dkimKeys}/${s.domain}.${s.selector.toLowerCase()}.pem`;
  const selectors = [...signing.values()].flat();

  // refile patterns, checked in order and all applied (MultipleSignatures): `*@D` for each domain;
  // `*@*.D` for its subdomains when no other signing domain lies below D (else a From there would
  // match twice and be signed for both); the host's own name (MAILER-DAEMON@, root@) otherwise.
  // Over the domains of every key type, so that each instance picks the signing domain the relays
  // pick (src/mail/dkim-sign.ts), and signs it with its own type's selectors of that domain, if any.
  const domains = [...signing.keys()].sort();
  const below = (d: string) => domains.some((o) => o !== d && o.endsWith(`.${d}`));
  const patterns: [pattern: string, domain: string][] = [];
  for (const d of domains) {
    patterns.push([`*@${d}`, d]);
    if (!below(d)) patterns.push([`*@*.${d}`, d]);
  }
  const own = signingDomainOf(host.fqdn, (d) => signing.has(d));
  if (own && own !== host.fqdn && below(own)) patterns.push([`*@${host.fqdn}`, own]);

  const header = (about: string[]) => [
    `# ${GENERATED_MARK}: edit the topology, not this file.`,
    ...about.map((l) => `# ${l}`.trimEnd()),
  ];
  const files = new Map<string, string>();
  const instances = OPENDKIM_INSTANCES.filter((i) => selectors.some((s) => s.type === i.type));
  for (const i of instances) {
    const ofType = (d: string) => signing.get(d)!.filter((s) => s.type === i.type);
    const keyTable = selectors
      .filter((s) => s.type === i.type)
      .map((s) => `${keyName(s)} ${s.domain}:${s.selector.toLowerCase()}:${keyFile(s)}`);
    const signingTable = patterns.flatMap(([pattern, d]) => ofType(d).map((s) => `${pattern} ${keyName(s)}`));
    files.set(i.config, opendkimConf(policy, paths, i, instances.length > 1));
    files.set(
      i.keyTable,
      lines([
        ...header([
          `OpenDKIM KeyTable (${i.algorithm}): one key per active ${i.type === 'rsa' ? 'RSA' : 'Ed25519'} selector this host signs with,`,
          '<selector>._domainkey.<domain> <d=>:<s=>:<private key file on this host>.',
        ]),
        ...keyTable.sort(),
      ]),
    );
    files.set(
      i.signingTable,
      lines([
        ...header([
          `OpenDKIM SigningTable (refile, ${i.algorithm}): From address patterns, in order, each with a KeyTable key.`,
          'A From domain signs for itself or the nearest planned domain above it that this host signs for.',
        ]),
        ...signingTable,
      ]),
    );
  }
  const internal = ['127.0.0.1', '::1', ...host.ipv4, ...host.ipv6];
  files.set(
    INTERNAL_HOSTS,
    lines([...header(['OpenDKIM InternalHosts: the clients whose mail is signed, this host itself.']), ...internal]),
  );
  const keys = selectors
    .map((s) => ({ path: keyFile(s), keyPath: s.keyPath }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, keys, instances };
}

/** The configuration of one instance; `both`: the host runs the other one too. */
function opendkimConf(policy: HostPolicy, paths: MtaPaths, i: OpendkimInstance, both: boolean): string {
  const { host } = policy;
  return lines([
    `# ${GENERATED_MARK}: edit the topology, not this file.`,
    `# OpenDKIM 2.11 of ${host.id} (${host.fqdn}), ${i.algorithm}: signs the mail that originates here, for Postfix's milter.`,
    ...(both
      ? ['# One instance signs with one algorithm: the other runs beside it, as a second milter (README.md).']
      : []),
    '#',
    '# Paths: the only settings that differ between deployments of these files (README.md).',
    `Socket local:${paths.postfixQueue}/${i.socket}`,
    `PidFile ${paths.opendkimRun}/${i.pidFile}`,
    `KeyTable file:${paths.opendkimConfig}/${i.keyTable}`,
    `SigningTable refile:${paths.opendkimConfig}/${i.signingTable}`,
    `InternalHosts file:${paths.opendkimConfig}/${INTERNAL_HOSTS}`,
    '',
    '# The socket: the opendkim user, its group (postfix is a member) and no one else.',
    'UserID opendkim',
    'UMask 007',
    'Syslog yes',
    'SyslogSuccess yes',
    '',
    "# Sign only (the plan's receivers verify), mail from InternalHosts only, with every key the",
    '# SigningTable gives, as the relays sign (src/mail/dkim-sign.ts).',
    'Mode s',
    `SignatureAlgorithm ${i.algorithm}`,
    'MultipleSignatures yes',
    'Canonicalization relaxed/relaxed',
    `SignHeaders ${SIGNED_HEADER_FIELDS.join(',')}`,
    '# RFC 6376 §5.4.2: a From added on the way breaks the signature.',
    'OversignHeaders From',
    '# A key readable by anyone but its owner is refused (lint: dkim-key-private).',
    'RequireSafeKeys yes',
  ]);
}

function lines(list: readonly string[]): string {
  return `${list.join('\n')}\n`;
}
