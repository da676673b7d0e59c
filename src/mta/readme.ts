/** The README.md at the top of `mxplan mta`'s output: what is there, what it was checked with, what the operator adds. */
import { GENERATED_MARK } from '../dns/zone-file.js';
import type { Plan } from '../topology/types.js';
import { PATH_SETTINGS, PRODUCTION_PATHS, type MtaPaths } from './paths.js';

/** The versions the files are written for and checked with (test/mta checks the installed ones are these). */
export const TARGETS = { postfix: '3.7', dovecot: '2.3', system: 'Debian 12 (bookworm)' } as const;

export interface HostSummary {
  readonly id: string;
  readonly fqdn: string;
  readonly role: 'store' | 'relay';
  readonly mailboxes: number;
  /** Stored users with no hash from --passwords. */
  readonly withoutHash: number;
}

export function outputReadme(plan: Plan, hosts: readonly HostSummary[]): string {
  const withoutHash = hosts.reduce((n, h) => n + h.withoutHash, 0);
  const rows = hosts.map(
    (h) =>
      `| ${h.id} | ${h.fqdn} | ${h.role === 'store' ? `store, ${h.mailboxes} mailboxes` : 'relay-only backup MX'} | ${
        h.role === 'store' ? '`postfix/`, `dovecot/`' : '`postfix/`'
      } |`,
  );
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
    `Written for Postfix ${TARGETS.postfix} or later and Dovecot ${TARGETS.dovecot} (2.4 renamed its settings), and`,
    `checked with Postfix ${TARGETS.postfix} and Dovecot ${TARGETS.dovecot} as ${TARGETS.system} ships them: \`postconf -n\`,`,
    '`postfix check` and `doveconf -n` are clean for every host, and `postmap -q` gives, for every',
    "planned address, the decision of mxplan's routing on that host.",
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
    '- TLS certificates (mxplan issue 14). Until then the hosts offer no STARTTLS, and Dovecot takes',
    '  plaintext logins from the host itself only (and from the other stores when logins are proxied).',
    '- The DNS records `mxplan zones` writes: hosts forward to one another by name (`smtp:[fqdn]`),',
    '  and a null-MX domain is refused with 556 5.1.10 once DNS shows its null MX.',
    "- Somewhere for root's mail: each host's postmaster@ goes to root's local mailbox.",
    '- Log rotation for the two log files (`postfix logrotate`, `doveadm log reopen`).',
    '',
    'Then, on each host: `postfix check`, `doveconf -n`, `postfix reload` (or start), `doveadm reload`.',
  ];
  if (plan.logins.proxy)
    lines.push(
      '',
      "Logins are proxied (`logins.proxy`): every store takes any user's login and proxies it to the",
      "user's home store, which checks the password.",
    );
  return `${lines.join('\n')}\n`;
}
