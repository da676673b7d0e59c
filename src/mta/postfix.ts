/**
 * Postfix 3.7+ configuration of one planned host, printed from its routing policy
 * (src/routing/policy.ts): main.cf, master.cf and the lookup tables (tables.ts). The model is
 * Postfix's address classes (ADDRESS_CLASS_README), as the policy's is:
 *
 * - a store is the final destination of its domains: virtual_mailbox_domains, every user of them
 *   in virtual_mailbox_maps (unknown users get 550 at RCPT), every alias fully expanded in
 *   virtual_alias_maps, local mailboxes delivered to Dovecot over LMTP (virtual_transport), and
 *   users homed elsewhere forwarded by transport_maps `smtp:[home]`. The forward is an SMTP hop
 *   with a queue on this host, as the relays do it: the message is on this store's disk before
 *   the client hears 250, waits out the home's outage with Postfix's backoff, bounces after the
 *   queue lifetime, and adds a Received header (hopcount_limit). Dovecot's LMTP proxy
 *   (lmtp_proxy) would hand the message on inside the LMTP transaction, with no queue of its own
 *   and no hop count, and needs every user's passdb entry on every store;
 * - a relay-only backup relays for its domains (relay_domains) to a more preferred MX, and takes
 *   only the planned addresses of them (relay_recipient_maps, aliases included): never a wildcard
 *   and never permit_mx_backup (deprecated in 3.9, and a backscatter source);
 * - a null-MX domain is refused as the relays refuse it, by an access map (RFC 7505 §4.1).
 *
 * Paths are the marked block at the top of main.cf (paths.ts); the maps are named relative to
 * $config_directory. Every daemon runs unchrooted (master.cf), so the files work wherever they are.
 */
import { profileFor } from '../mail/profiles.js';
import { REPLIES } from '../mail/replies.js';
import type { HostPolicy } from '../routing/policy.js';
import type { Host, User } from '../topology/types.js';
import { GENERATED_MARK } from '../dns/zone-file.js';
import { MtaError } from './errors.js';
import type { MtaPaths } from './paths.js';
import type { OpendkimInstance } from './opendkim.js';
import { accessAction, bounceTransport } from './replies.js';
import { formatTable, tableRef, type Table } from './tables.js';

/** Postfix's compatibility level for 3.6 and later (3.7 has no newer one). */
const COMPATIBILITY_LEVEL = '3.6';
/** Where Postfix reaches Dovecot's LMTP listener, relative to queue_directory (dovecot.ts listens there). */
export const LMTP_SOCKET = 'private/dovecot-lmtp';

interface Block {
  readonly comment: readonly string[];
  readonly settings: readonly (readonly [name: string, value: string])[];
}

/** The files of postfix/, by name; `signers`: the host's OpenDKIM instances (opendkim.ts), its milters, in order. */
export function postfixFiles(
  policy: HostPolicy,
  paths: MtaPaths,
  signers: readonly OpendkimInstance[],
): Map<string, string> {
  const { host } = policy;
  if (host.ipv4.length + host.ipv6.length === 0)
    throw new MtaError(`host ${host.id} has no planned address: its Postfix would listen nowhere`);
  const tables = host.role === 'relay' ? relayTables(policy) : storeTables(policy);
  tables.push(...commonTables(policy));
  const files = new Map<string, string>();
  files.set('main.cf', mainCf(policy, paths, tables, signers));
  files.set('master.cf', masterCf(policy));
  files.set('bounce.cf', bounceTemplates(host));
  for (const table of tables) files.set(table.name, formatTable(table));
  return files;
}

// The tables. Their names are Postfix's parameter names, shortened where Postfix's own examples do.

function storeTables(policy: HostPolicy): Table[] {
  const finalDomains = policy.finalDomains();
  const users = finalDomains.flatMap((d) =>
    [...policy.recipients(d)].flatMap((p) => (p.kind === 'user' ? [p.user] : [])),
  );
  const transport: [string, string][] = [
    ...[...policy.forwardedUsers()].map(({ user, to }): [string, string] => [user.address, `smtp:[${to.fqdn}]`]),
    ...[...policy.unplacedUsers()].map((user): [string, string] => [
      user.address,
      bounceTransport((a) => REPLIES.noHomeHost(a, user.homeId)),
    ]),
    ...policy.otherDomains().map((d): [string, string] => [d.name, bounceTransport(REPLIES.unknownUser)]),
    ...policy.nullMxDomains().map((d): [string, string] => [d.name, bounceTransport(REPLIES.nullMxRecipient, d.name)]),
  ];
  return [
    {
      name: 'virtual_mailbox_domains',
      about: ['Postfix virtual_mailbox_domains: the domains this host is the final destination of.'],
      rows: finalDomains.map((d) => [d.name, 'final']),
    },
    {
      name: 'virtual_mailbox',
      about: [
        'Postfix virtual_mailbox_maps: every user of those domains, wherever homed, so an unknown one is',
        'refused at RCPT. The value is the Maildir under the mail root; only the home store has it.',
      ],
      rows: users.map((u) => [u.address, maildirOf(u)]),
    },
    {
      name: 'virtual_alias',
      about: [
        'Postfix virtual_alias_maps: every planned alias, fully expanded (nested aliases followed,',
        'cycles cut), members outside the plan as written.',
      ],
      rows: [...policy.aliases()].map(({ alias, members }) => [alias.address, members.join(', ')]),
    },
    {
      name: 'transport',
      about: [
        'Postfix transport_maps: users homed on another planned host go to it, without an MX lookup (the',
        'forward is queued here); a user homed on no planned host, an unknown address of a planned domain',
        'this host takes in no role, and a null-MX domain bounce here, as the relays bounce them.',
      ],
      rows: transport,
    },
  ];
}

function relayTables(policy: HostPolicy): Table[] {
  const backup = policy.backupDomains();
  return [
    {
      name: 'relay_domains',
      about: ['Postfix relay_domains: the domains this host is a backup MX of; it hands them to a better MX.'],
      rows: backup.map((d) => [d.name, 'backup']),
    },
    {
      name: 'relay_recipients',
      about: [
        'Postfix relay_recipient_maps: every planned address of those domains, aliases included, and',
        'nothing else: an unknown one is refused at RCPT, never accepted and bounced later (backscatter).',
      ],
      rows: backup.flatMap((d) =>
        [...policy.recipients(d)].map((p): [string, string] => [
          p.kind === 'user' ? p.user.address : p.alias.address,
          p.kind,
        ]),
      ),
    },
  ];
}

function commonTables(policy: HostPolicy): Table[] {
  const nullMx = policy.nullMxDomains();
  return [
    tlsPolicyTable(policy),
    {
      name: 'recipient_access',
      about: [
        'Postfix check_recipient_access, before relay control: refusals that come first at the relays',
        "too. A null-MX domain (RFC 7505 §4.1) gets Postfix's own check, which reads the null MX from",
        'DNS and replies 556 5.1.10 (a reply from this map could say only 5.1.0); a user homed on a',
        "host the plan does not have gets the relays' reply (a plan error: try later).",
      ],
      rows: [
        ...nullMx.map((d): [string, string] => [d.name, 'reject_unknown_recipient_domain']),
        ...[...policy.unplacedUsers()].map((u): [string, string] => [
          u.address,
          accessAction((a) => REPLIES.noHomeHost(a, u.homeId), 'Recipient'),
        ]),
      ],
    },
    {
      name: 'sender_access',
      about: [
        'Postfix check_sender_access: a sender in a null-MX domain could never receive a bounce (RFC 7505 §4.1).',
      ],
      rows: nullMx.map((d) => [d.name, accessAction(REPLIES.nullMxSender, 'Sender', d.name)]),
    },
  ];
}

/**
 * smtp_tls_policy_maps: MTA-STS (RFC 8461) for the plan's own domains in enforce mode, as the
 * relays apply it (src/mail/tls-policy.ts). Postfix 3.7 has no MTA-STS of its own, and the plan
 * knows these policies: each becomes a static `secure` entry, so no policy daemon and no HTTPS
 * fetch stands between a queued message and its delivery. `secure` verifies the certificate
 * against smtp_tls_CAfile and requires it to name one of the `match` hosts, the policy's
 * patterns, with `*.example.com` (one label, §4.1) written `.example.com` (Postfix: any
 * subdomain, a little wider); `servername=hostname` sends SNI with the MX name. Never plain
 * text: a failing MX defers, like one that is down (§5). The key is the domain: the entry
 * applies where Postfix looks up the domain's MX (a backup relaying to a better MX, mail to a
 * domain this host does not serve), not to the `smtp:[host]` forwards between the plan's own
 * stores, which stay opportunistic as at the relays. Testing and none ask nothing (§5).
 *
 * DANE (RFC 7672, `dane`) would need signed zones and a validating resolver; mxplan's zones are
 * unsigned, so Postfix would fall back to `may` for every host: not written.
 */
function tlsPolicyTable(policy: HostPolicy): Table {
  const rows = [...policy.plan.domains.values()].flatMap((d): [string, string][] =>
    d.mtaSts?.mode === 'enforce'
      ? [
          [
            d.name,
            `secure match=${d.mtaSts.mx.map((p) => (p.startsWith('*.') ? p.slice(1) : p)).join(':')} servername=hostname`,
          ],
        ]
      : [],
  );
  return {
    name: 'tls_policy',
    about: [
      "Postfix smtp_tls_policy_maps: the plan's domains whose MTA-STS policy is enforce (RFC 8461), each",
      'delivered to over TLS only, to an MX whose certificate names a host of the policy (secure).',
    ],
    rows,
  };
}

/** `<domain>/<local>/`: a Maildir (trailing slash) under the mail root, as virtual(8) would read it. */
function maildirOf(user: User): string {
  return `${user.domain}/${user.local}/`;
}

// main.cf

function mainCf(
  policy: HostPolicy,
  paths: MtaPaths,
  tables: readonly Table[],
  signers: readonly OpendkimInstance[],
): string {
  const { host, plan } = policy;
  const session = profileFor('default', host);
  const origin = policy.postmasterDomain;
  const store = host.role === 'store';
  const map = (name: string) => {
    if (!tables.some((t) => t.name === name)) throw new Error(`mta: no table ${name}`);
    return tableRef(name);
  };
  const blocks: Block[] = [
    {
      comment: [
        `${GENERATED_MARK}: edit the topology, not this file.`,
        `Postfix 3.7+ main.cf of ${host.id} (${host.fqdn}), a ${store ? 'store' : 'relay-only backup MX'}.`,
        '',
        'Paths: the only settings that differ between deployments of these files (README.md).',
      ],
      settings: [
        ['queue_directory', paths.postfixQueue],
        ['data_directory', paths.postfixData],
        // Postfix's own log (MAILLOG_README): works without syslog, as in the lab.
        ['maillog_file', paths.postfixLog],
        ['maillog_file_prefixes', dirnameOf(paths.postfixLog)],
        // The host's key, then its certificate chain (README.md: the operator installs them).
        ['smtpd_tls_chain_files', `${paths.tlsKey}, ${paths.tlsChain}`],
        ['smtp_tls_CAfile', paths.tlsTrust],
      ],
    },
    { comment: [], settings: [['compatibility_level', COMPATIBILITY_LEVEL]] },
    {
      comment: ['The planned host: its name, and only its own addresses, both ways.'],
      settings: [
        ['myhostname', host.fqdn],
        // What a bare address is qualified with: a bare RCPT TO:<postmaster> (RFC 5321 §4.5.1) is
        // that domain's postmaster, as at the relays; a host serving no domain keeps $myhostname.
        ...(origin ? [['myorigin', origin] as const] : []),
        ['smtp_helo_name', host.helo],
        ['inet_interfaces', [...host.ipv4, ...host.ipv6.map((a) => `[${a}]`)].join(', ')],
        ['inet_protocols', protocolsOf(host)],
        ...(host.ipv4[0] ? [['smtp_bind_address', host.ipv4[0]] as const] : []),
        ...(host.ipv6[0] ? [['smtp_bind_address6', host.ipv6[0]] as const] : []),
      ],
    },
    {
      comment: [
        "The plan's own hosts, which may relay through one another.",
        '',
        "No hosted domain is local: the host's own name takes postmaster (RFC 5321 §4.5.1) into root's",
        'local mailbox, and nothing else from outside; mail the system makes for root stays here.',
      ],
      settings: [
        ['mynetworks', mynetworksOf([...plan.hosts.values()])],
        ['mydestination', plan.domains.has(host.fqdn) ? 'localhost' : '$myhostname, localhost'],
        ['alias_maps', 'inline:{ postmaster=root }'],
        ['alias_database', ''],
        ['local_recipient_maps', '$alias_maps'],
        // The plan names every domain exactly: a subdomain of a planned domain is not planned.
        ['parent_domain_matches_subdomains', ''],
      ],
    },
    store
      ? {
          comment: ['Final destination: the routing policy of this store, as tables (each file says what it holds).'],
          settings: [
            ['virtual_mailbox_domains', map('virtual_mailbox_domains')],
            ['virtual_mailbox_maps', map('virtual_mailbox')],
            ['virtual_alias_domains', ''],
            ['virtual_alias_maps', map('virtual_alias')],
            ['transport_maps', map('transport')],
            ['virtual_transport', `lmtp:unix:${LMTP_SOCKET}`],
          ],
        }
      : {
          comment: ['Backup MX: the routing policy of this relay-only host, as tables (each file says what it holds).'],
          settings: [
            ['relay_domains', map('relay_domains')],
            ['relay_recipient_maps', map('relay_recipients')],
          ],
        },
    {
      comment: ['Relay control: never an open relay (RFC 5321 §3.6.2).'],
      settings: [
        [
          'smtpd_relay_restrictions',
          `check_recipient_access ${map('recipient_access')}, permit_mynetworks, reject_unauth_destination`,
        ],
        ['smtpd_sender_restrictions', `check_sender_access ${map('sender_access')}`],
      ],
    },
    ...tlsBlocks(map('tls_policy')),
    {
      comment: ["Refusals with the replies of mxplan's relays (src/mail/replies.ts)."],
      settings: [
        ['show_user_unknown_table_name', 'no'],
        [
          store ? 'unknown_virtual_mailbox_reject_code' : 'unknown_relay_recipient_reject_code',
          code(REPLIES.unknownUser),
        ],
        ['unknown_local_recipient_reject_code', code(REPLIES.unknownUser)],
        ['relay_domains_reject_code', code(REPLIES.relayDenied)],
      ],
    },
    {
      comment: ["Queue and limits: the plan's, as the relays keep them."],
      settings: [
        ['hopcount_limit', String(policy.hopLimit)],
        ['maximal_queue_lifetime', duration(policy.queueLifetime)],
        ['bounce_queue_lifetime', duration(policy.queueLifetime)],
        ['message_size_limit', String(policy.messageSizeLimit)],
        ['smtpd_recipient_limit', String(policy.recipientLimit)],
        ['smtp_destination_recipient_limit', String(policy.recipientLimit)],
      ],
    },
    {
      comment: [
        "Sessions, as the relays admit them (src/mail/admission.ts): the host's total is smtpd's",
        "process limit in master.cf; per client, anvil's count, for the plan's own hosts too",
        '(Postfix would exempt $mynetworks; the relays exempt no one).',
        '',
        "Deadlines, as the relays' (src/mail/deadline.ts, profile default): each command whole within",
        "smtpd_timeout of the server's reply, not an idle timer; the message after 354 within that,",
        'extended by its size / smtpd_min_data_rate.',
      ],
      settings: [
        ['smtpd_client_connection_count_limit', String(policy.smtpLimits.sessionsPerClient)],
        ['smtpd_client_event_limit_exceptions', ''],
        ['smtpd_timeout', duration(session.commandDeadline / 1000)],
        ['smtpd_per_request_deadline', 'yes'],
        ['smtpd_min_data_rate', String(session.minDataRate)],
      ],
    },
    {
      comment: ['RFC 6531: UTF-8 addresses and headers end to end, as the relays take and send them.'],
      settings: [['smtputf8_enable', 'yes']],
    },
    {
      comment: [
        "Postfix's reports (RFC 3464) come from MAILER-DAEMON at this host's name, as the relays' do: left",
        'bare, Postfix would qualify it with myorigin, the first domain served here, and sign it for that.',
      ],
      settings: [['bounce_template_file', '${config_directory}/bounce.cf']],
    },
    ...(signers.length > 0 ? [milterBlock(signers)] : []),
  ];
  const later = ['Submission with SASL (issue 15): a service in master.cf, authenticating through Dovecot.'];
  return `${[...blocks.map(formatBlock), later.map((l) => (l.startsWith('#') ? l : `# ${l}`.trimEnd())).join('\n')].join('\n\n')}\n`;
}

/**
 * bounce(5) templates: Postfix's own four, with the From qualified by the host's name (the relays'
 * `Mail Delivery System <MAILER-DAEMON@fqdn>`, src/mail/dsn.ts); the texts are Postfix's defaults,
 * shortened. Without them the bare MAILER-DAEMON takes myorigin, which names a customer's domain.
 */
function bounceTemplates(host: Host): string {
  // Postmaster-Subject only where Postfix sends the postmaster a copy (failure, delay).
  const template = (name: string, subject: string, postmasterSubject: string | undefined, text: readonly string[]) =>
    [
      `${name} = <<EOF`,
      'Charset: us-ascii',
      `From: Mail Delivery System <MAILER-DAEMON@${host.fqdn}>`,
      `Subject: ${subject}`,
      ...(postmasterSubject ? [`Postmaster-Subject: ${postmasterSubject}`] : []),
      '',
      'This is the mail system at host $myhostname.',
      '',
      ...text,
      'EOF',
    ].join('\n');
  return `${[
    `# ${GENERATED_MARK}: edit the topology, not this file.`,
    `# bounce(5) templates of ${host.id}: main.cf bounce_template_file names this file.`,
    '',
    template('failure_template', 'Undelivered Mail Returned to Sender', 'Postmaster Copy: Undelivered Mail', [
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients. It is attached below.',
    ]),
    '',
    template('delay_template', 'Delayed Mail (still being retried)', 'Postmaster Warning: Delayed Mail', [
      'THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE.',
      '',
      'Your message could not be delivered for more than $delay_warning_time_hours hour(s).',
      'It will be retried until it is $maximal_queue_lifetime_days day(s) old.',
    ]),
    '',
    template('success_template', 'Successful Mail Delivery Report', undefined, [
      'Your message was successfully delivered to the destination(s)',
      'listed below, as the delivery status notification you asked for says.',
    ]),
    '',
    template('verify_template', 'Mail Delivery Status Report', undefined, [
      'Enclosed is the mail delivery report that you requested.',
    ]),
  ].join('\n')}\n`;
}

/**
 * STARTTLS (RFC 3207) both ways, with the certificate named in the paths block. The server offers
 * it and requires it of no one (`may`: §4 forbids requiring it of the clients of a publicly
 * referenced MX); AUTH only after it (smtpd_tls_auth_only), for the submission service of issue
 * 15. The client uses it whenever offered, unauthenticated (RFC 7435), except where tls_policy
 * asks more. Log level 1: one line per session says whether it was Trusted or Verified.
 */
function tlsBlocks(policyMap: string): Block[] {
  return [
    {
      comment: [
        'TLS as a server (RFC 3207): STARTTLS offered, never required of a client of an MX (§4); no AUTH',
        'before it. The certificate is in the paths block.',
      ],
      settings: [
        ['smtpd_tls_security_level', 'may'],
        ['smtpd_tls_auth_only', 'yes'],
        ['smtpd_tls_loglevel', '1'],
      ],
    },
    {
      comment: [
        'TLS as a client: opportunistic (RFC 7435), verified against smtp_tls_CAfile only where tls_policy',
        "says so: the plan's domains whose MTA-STS policy is enforce (RFC 8461 §5).",
      ],
      settings: [
        ['smtp_tls_security_level', 'may'],
        ['smtp_tls_policy_maps', policyMap],
        ['smtp_tls_loglevel', '1'],
      ],
    },
  ];
}

/**
 * OpenDKIM (opendkim.ts) signs as a milter: for SMTP clients (smtpd_milters; it signs only its
 * InternalHosts' mail), for sendmail(1) submissions (non_smtpd_milters), and for Postfix's own
 * DSNs, which no milter sees unless internal_mail_filter_classes names them (RFC 3464 reports,
 * signed as the relays sign theirs). One milter per instance, RSA first: each adds its
 * DKIM-Signature field and changes nothing else, and neither signs the other's field (SignHeaders),
 * so each signature verifies (RFC 8463 §6: both, for verifiers with and without Ed25519).
 */
function milterBlock(signers: readonly OpendkimInstance[]): Block {
  return {
    comment: [
      ...(signers.length > 1
        ? [
            'DKIM (RFC 6376): OpenDKIM signs the mail that originates here, local submissions and bounces,',
            'an instance per algorithm (RFC 8463: RSA beside Ed25519), each a milter adding its signature.',
            'UNIX sockets in the queue directory, so only Postfix reaches them. OpenDKIM down: the mail goes',
          ]
        : [
            'DKIM (RFC 6376): OpenDKIM signs the mail that originates here, local submissions and bounces.',
            'A UNIX socket in the queue directory, so only Postfix reaches it. OpenDKIM down: the mail goes',
          ]),
      'unsigned rather than waiting (milter_default_action = accept), as the relays send it when a',
      'signature cannot be made; SPF still aligns for the hosts in the SPF record.',
    ],
    settings: [
      ['smtpd_milters', signers.map((i) => `unix:${i.socket}`).join(', ')],
      ['non_smtpd_milters', '$smtpd_milters'],
      ['internal_mail_filter_classes', 'bounce'],
      ['milter_default_action', 'accept'],
    ],
  };
}

function formatBlock(block: Block): string {
  return [
    ...block.comment.map((l) => `# ${l}`.trimEnd()),
    ...block.settings.map(([name, value]) => `${name} = ${value}`.trimEnd()),
  ].join('\n');
}

function protocolsOf(host: Host): string {
  // Pin the families the host has: with the default (all), Postfix would also use the one it lacks.
  return [host.ipv4.length > 0 && 'ipv4', host.ipv6.length > 0 && 'ipv6'].filter(Boolean).join(', ');
}

function mynetworksOf(hosts: readonly Host[]): string {
  return hosts.flatMap((h) => [...h.ipv4.map((a) => `${a}/32`), ...h.ipv6.map((a) => `[${a}]/128`)]).join(', ');
}

function code(reply: (address: string) => { code: number }): string {
  return String(reply('x@x').code);
}

/** Postfix time units: the largest that is exact ("5d", "36h", "90s"). */
export function duration(seconds: number): string {
  for (const [unit, size] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

function dirnameOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/**
 * master.cf: Postfix's standard services (postfix/conf/master.cf), every one unchrooted (the
 * fifth column), so the daemons read the resolver, the maps and Dovecot's socket where they are;
 * Debian's packaged file chroots them (a y there), and a chrooted daemon sees only what is copied
 * into the queue directory. Transports nothing here uses are left out.
 */
const SERVICES: readonly (readonly string[])[] = [
  ['smtp', 'inet', 'n', '-', 'n', '-', '-', 'smtpd'],
  ['pickup', 'unix', 'n', '-', 'n', '60', '1', 'pickup'],
  ['cleanup', 'unix', 'n', '-', 'n', '-', '0', 'cleanup'],
  ['qmgr', 'unix', 'n', '-', 'n', '300', '1', 'qmgr'],
  ['tlsmgr', 'unix', '-', '-', 'n', '1000?', '1', 'tlsmgr'],
  ['rewrite', 'unix', '-', '-', 'n', '-', '-', 'trivial-rewrite'],
  ['bounce', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['defer', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['trace', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['verify', 'unix', '-', '-', 'n', '-', '1', 'verify'],
  ['flush', 'unix', 'n', '-', 'n', '1000?', '0', 'flush'],
  ['proxymap', 'unix', '-', '-', 'n', '-', '-', 'proxymap'],
  ['proxywrite', 'unix', '-', '-', 'n', '-', '1', 'proxymap'],
  ['smtp', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['relay', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['showq', 'unix', 'n', '-', 'n', '-', '-', 'showq'],
  ['error', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['retry', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['discard', 'unix', '-', '-', 'n', '-', '-', 'discard'],
  ['local', 'unix', '-', 'n', 'n', '-', '-', 'local'],
  ['lmtp', 'unix', '-', '-', 'n', '-', '-', 'lmtp'],
  ['anvil', 'unix', '-', '-', 'n', '-', '1', 'anvil'],
  ['scache', 'unix', '-', '-', 'n', '-', '1', 'scache'],
  ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1', 'postlogd'],
];

function masterCf(policy: HostPolicy): string {
  const header = [
    `# ${GENERATED_MARK}: edit the topology, not this file.`,
    '# Postfix master.cf: the standard services, none chrooted (chroot column n), so every daemon',
    '# reads the resolver, the maps and the Dovecot socket where they are.',
    '#',
    '# service type  private unpriv  chroot  wakeup  maxproc command',
  ];
  const widths = [10, 6, 8, 8, 8, 8, 8];
  // The relays' total of sessions (src/mail/admission.ts) is smtpd's process limit: one process a session.
  const services = SERVICES.map((row) =>
    row[0] === 'smtp' && row[1] === 'inet'
      ? row.map((cell, i) => (i === 6 ? String(policy.smtpLimits.sessions) : cell))
      : row,
  );
  const rows = services.map((row) =>
    row.map((cell, i) => (i < widths.length ? cell.padEnd(Math.max(widths[i]!, cell.length + 1)) : cell)).join(''),
  );
  const submission = [
    '',
    "# Submission with SASL (issue 15): port 587 for the plan's users, TLS required, authenticated",
    '# through Dovecot (dovecot.conf has the matching auth listener, commented out):',
    '#submission inet n       -       n       -       -       smtpd',
    '#  -o syslog_name=postfix/submission',
    '#  -o smtpd_tls_security_level=encrypt',
    '#  -o smtpd_sasl_auth_enable=yes',
    '#  -o smtpd_sasl_type=dovecot',
    '#  -o smtpd_sasl_path=private/auth',
    '#  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject',
  ];
  return `${[...header, ...rows, ...submission].join('\n')}\n`;
}
