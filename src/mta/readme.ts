/** The README.md at the top of `mxplan mta`'s output: what is there, what it was checked with, what the operator adds. */
import { GENERATED_MARK } from '../dns/zone-file.js';
import type { Plan } from '../topology/types.js';
import { OPENDKIM_INSTANCES, OPENDKIM_SOCKET_DIR, type KeyInstall, type OpendkimInstance } from './opendkim.js';
import { PATH_SETTINGS, PRODUCTION_PATHS, type MtaPaths } from './paths.js';

/** The versions the files are written for and checked with (test/mta checks the installed ones are these). */
export const TARGETS = { postfix: '3.7', dovecot: '2.3', opendkim: '2.11', system: 'Debian 12 (bookworm)' } as const;

export interface HostSummary {
  readonly id: string;
  readonly fqdn: string;
  readonly role: 'store' | 'relay';
  readonly mailboxes: number;
  /** Stored users with no hash from --passwords. */
  readonly withoutHash: number;
  /** The private keys its OpenDKIM signs with (none: it signs nothing, and has no opendkim/). */
  readonly dkimKeys: readonly KeyInstall[];
  /** Its OpenDKIM instances, one per signature algorithm it signs with (none: it signs nothing). */
  readonly opendkim: readonly OpendkimInstance[];
}

export function outputReadme(plan: Plan, hosts: readonly HostSummary[]): string {
  const withoutHash = hosts.reduce((n, h) => n + h.withoutHash, 0);
  const rows = hosts.map(
    (h) =>
      `| ${h.id} | ${h.fqdn} | ${h.role === 'store' ? `store, ${h.mailboxes} mailboxes` : 'relay-only backup MX'} | ${[
        'postfix/',
        ...(h.role === 'store' ? ['dovecot/'] : []),
        ...(h.dkimKeys.length > 0 ? ['opendkim/'] : []),
      ]
        .map((d) => `\`${d}\``)
        .join(', ')} |`,
  );
  const keys = hosts.flatMap((h) => h.dkimKeys.map((k) => `| ${h.id} | \`${k.path}\` | \`${k.keyPath}\` |`));
  const paths = (Object.keys(PATH_SETTINGS) as (keyof MtaPaths)[]).map(
    (key) => `| \`${PRODUCTION_PATHS[key]}\` | ${PATH_SETTINGS[key]} |`,
  );
  const lines = [
    '# Mail server configuration',
    '',
    `<!-- ${GENERATED_MARK}: edit the topology, not these files. -->`,
    '',
    `Postfix and Dovecot configuration for the ${hosts.length} planned hosts, from the same routing policy`,
    "as mxplan's relays. Copy `<host>/postfix/` to `/etc/postfix/` and `<host>/dovecot/` to",
    '`/etc/dovecot/` of that host. The files are written readable by their owner only, since',
    '`dovecot/passwd` may hold password hashes: install `passwd` and `users` readable by the',
    '`dovecot` group (`install -m 0640 -g dovecot`). Layout and choices: docs/mta.md in mxplan.',
    '',
    '| host | name | role | files |',
    '|---|---|---|---|',
    ...rows,
    '',
    '## Versions',
    '',
    `Written for Postfix ${TARGETS.postfix} or later, Dovecot ${TARGETS.dovecot} (2.4 renamed its settings) and OpenDKIM`,
    `${TARGETS.opendkim}, and checked with those versions as ${TARGETS.system} ships them: \`postconf -n\`,`,
    '`postfix check`, `doveconf -n` and `opendkim -n` are clean for every host, and `postmap -q` gives,',
    "for every planned address, the decision of mxplan's routing on that host.",
    '',
    '## Paths',
    '',
    'Only these differ between deployments: a lab, or a second instance on one machine, runs these',
    'very files with its own paths.',
    '',
    '| production path | where |',
    '|---|---|',
    ...paths,
    '',
    '## What the operator provides',
    '',
    '- Debian packages `postfix`, `dovecot-core`, `dovecot-imapd`, `dovecot-pop3d`, `dovecot-lmtpd`.',
    '- The `vmail` system user owning the mail root, with a uid of at least 500 (Dovecot refuses',
    '  lower ones): `useradd --system --uid 5000 --home-dir /var/vmail --shell /usr/sbin/nologin vmail`.',
    `- Password hashes: \`mxplan mta --passwords FILE\`, one \`address:{SCHEME}hash\` line per user`,
    `  (\`doveadm pw -s SHA512-CRYPT\`).${
      withoutHash > 0 ? ` ${withoutHash} of the plan's users have none yet and cannot log in.` : ''
    }`,
    ...(keys.length > 0
      ? ['- Debian packages `opendkim` on the hosts with `opendkim/`, and the private keys below (see DKIM).']
      : []),
    `- A TLS key and certificate on every host (see TLS): \`${PRODUCTION_PATHS.tlsKey}\` and \`${PRODUCTION_PATHS.tlsChain}\`.`,
    '- The DNS records `mxplan zones` writes: hosts forward to one another by name (`smtp:[fqdn]`),',
    '  and a null-MX domain is refused with 556 5.1.10 once DNS shows its null MX.',
    "- Somewhere for root's mail: each host's postmaster@ goes to root's local mailbox.",
    '- Log rotation for the two log files (`postfix logrotate`, `doveadm log reopen`).',
    '',
    `Then, on each host: \`postfix check\`, \`doveconf -x -n\` (it opens the certificate files)${keys.length > 0 ? ', `opendkim -n -x CONF` (each OpenDKIM configuration)' : ''}, \`postfix reload\` (or start), \`doveadm reload\`.`,
  ];
  lines.push(...tlsSection(plan, hosts));
  if (keys.length > 0) lines.push('', ...dkimSection(hosts, keys));
  if (plan.logins.proxy)
    lines.push(
      '',
      "Logins are proxied (`logins.proxy`): every store takes any user's login and proxies it to the",
      "user's home store, which checks the password.",
    );
  return `${lines.join('\n')}\n`;
}

/**
 * How the OpenDKIM instances are deployed: the RSA one is Debian's own service; each other one
 * (OpenDKIM 2.11 signs with one algorithm per instance, opendkim.ts) gets a unit of its own.
 */
function dkimSection(hosts: readonly HostSummary[], keys: readonly string[]): string[] {
  const { opendkimConfig: config, opendkimRun: run, postfixQueue } = PRODUCTION_PATHS;
  const runs = (i: OpendkimInstance) => hosts.filter((h) => h.opendkim.includes(i)).map((h) => h.id);
  // The first instance is Debian's own service; the others a unit each.
  const [debian, ...others] = OPENDKIM_INSTANCES.map((i) => (runs(i).length > 0 ? i : undefined));
  const which = (i: OpendkimInstance) => `\`${i.config}\` (${i.algorithm}; ${runs(i).join(', ')})`;
  return [
    '## DKIM',
    '',
    'The hosts with `opendkim/` sign the mail that originates there (local submissions and bounces)',
    'with OpenDKIM, an instance per signature algorithm (OpenDKIM 2.11 signs with the one algorithm',
    "of its `SignatureAlgorithm`; RFC 8463 wants RSA beside Ed25519), each one of Postfix's milters",
    `on its UNIX socket in \`${OPENDKIM_SOCKET_DIR}/\` of the queue directory. Copy \`<host>/opendkim/\` to \`${config}/\`,`,
    "make the sockets' directory and let Postfix reach it: `install -d -o opendkim -g opendkim -m 0750",
    `${postfixQueue}/${OPENDKIM_SOCKET_DIR}\`, \`adduser postfix opendkim\`. Then:`,
    '',
    ...(debian
      ? [
          `- ${which(debian)}: Debian's \`${debian.unit}\`, pointed at the file`,
          `  (\`ln -sf ${config}/${debian.config} /etc/opendkim.conf\`).`,
        ]
      : []),
    ...others.flatMap((i) =>
      !i
        ? []
        : [
            `- ${which(i)}: a unit of its own, \`/etc/systemd/system/${i.unit}\`, then`,
            `  \`systemctl daemon-reload && systemctl enable --now ${i.unit.replace(/\.service$/, '')}\`:`,
            '',
            '  ```ini',
            '  [Unit]',
            `  Description=OpenDKIM Milter (${i.algorithm})`,
            '  After=network-online.target nss-lookup.target',
            '  Wants=network-online.target',
            '',
            '  [Service]',
            '  Type=forking',
            `  PIDFile=${run}/${i.pidFile}`,
            `  ExecStart=/usr/sbin/opendkim -x ${config}/${i.config}`,
            '  ExecReload=/bin/kill -USR1 $MAINPID',
            '  Restart=on-failure',
            '',
            '  [Install]',
            '  WantedBy=multi-user.target',
            '  ```',
          ],
    ),
    '',
    'Check each with `opendkim -n -x CONF`, then the RSA keys with `opendkim-testkey -d <domain> -s <selector>',
    "-vvv` once the records are published (OpenDKIM 2.11's opendkim-testkey tests RSA keys only).",
    '',
    'The private keys are not in this tree: install each where its KeyTable looks, owned by the',
    '`opendkim` user and readable by it only (`install -o opendkim -g opendkim -m 0600 KEY PATH`;',
    "OpenDKIM refuses a key others can read). The key files are the topology's, relative to it.",
    '',
    '| host | install as | key file of the topology |',
    '|---|---|---|',
    ...keys,
  ];
}

/** Where each host's key and certificate go, which names the certificate carries, and what tls_policy holds. */
function tlsSection(plan: Plan, hosts: readonly HostSummary[]): string[] {
  const enforced = [...plan.domains.values()].filter((d) => d.mtaSts?.mode === 'enforce').map((d) => d.name);
  return [
    '',
    '## TLS',
    '',
    'Postfix offers STARTTLS (RFC 3207) and uses it towards every next hop that offers it; Dovecot',
    'takes a login only over TLS (STARTTLS, or imaps on 993 and pop3s on 995) or from the host itself.',
    'Both read one key and certificate per host, installed by the operator (a CA clients trust, as',
    "certbot's; the files are read as root, key readable by root only):",
    '',
    '| file | what | where |',
    '|---|---|---|',
    `| \`${PRODUCTION_PATHS.tlsKey}\` | the private key, PEM, unencrypted, \`install -m 0600\` | ${PATH_SETTINGS.tlsKey} |`,
    `| \`${PRODUCTION_PATHS.tlsChain}\` | its certificate, then the intermediates, PEM | ${PATH_SETTINGS.tlsChain} |`,
    `| \`${PRODUCTION_PATHS.tlsTrust}\` | the CAs the SMTP client verifies against (Debian \`ca-certificates\`) | ${PATH_SETTINGS.tlsTrust} |`,
    '',
    'Neither `postconf` nor `postfix check` opens these files; `doveconf -x` does, and names a missing one.',
    '',
    "Each host's certificate names its fqdn in subjectAltName: MX records and the forwards between",
    'the hosts name it, and MTA-STS senders check it (RFC 8461 §4.2).',
    '',
    '| host | the certificate names |',
    '|---|---|',
    ...hosts.map((h) => `| ${h.id} | \`${h.fqdn}\` |`),
    '',
    ...(enforced.length > 0
      ? [
          `MTA-STS in enforce mode (${enforced.join(', ')}): \`postfix/tls_policy\` sends to their MX hosts over`,
          "verified TLS only (`secure`, the policy's MX names), as senders outside follow the published policy.",
          'Publish the policy files `mxplan mta-sts` writes at `https://mta-sts.<domain>/.well-known/mta-sts.txt`',
          'before the `_mta-sts` records change.',
        ]
      : ['No domain of the plan enforces MTA-STS: `postfix/tls_policy` is empty, and every next hop opportunistic.']),
  ];
}
