/**
 * `mxplan import --postfix` of a configuration mxplan did not write: a copy of /etc/postfix with
 * hash: and lmdb: maps, continuation lines, parameter expansion and table types no file holds.
 * What the reader takes from main.cf and the maps is what Postfix itself takes (postconf -x,
 * postmap -s); what it cannot take or had to guess is a comment in the draft.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PostfixConfig } from '../../src/import/postfix-config.js';
import { mxplan } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

afterAll(removeTempDirs);

const run = promisify(execFile);

/** A store's /etc/postfix as a person would write it, not as mxplan does. */
const MAIN_CF = `# A hand-written store.
myhostname = mx1.example.com
mydomain = example.com
smtp_helo_name = $myhostname
inet_interfaces = 192.0.2.25,
    [2001:db8::25]
virtual_mailbox_domains = example.com,
  example.net
virtual_mailbox_maps = hash:/etc/postfix/vmailbox
virtual_alias_maps = lmdb:/etc/postfix/virtual, ldap:/etc/postfix/ldap-aliases.cf
transport_maps = hash:\${config_directory}/transport
maximal_queue_lifetime = 3
smtpd_relay_restrictions = check_recipient_access inline:{ parked.example=reject_unknown_recipient_domain },
  permit_mynetworks, reject_unauth_destination
`;

const FILES: Readonly<Record<string, string>> = {
  vmailbox: [
    '# users',
    'ann@example.com example.com/ann/',
    'ben@example.com example.com/ben/',
    'cid@example.net example.net/cid/',
    '@example.net catchall',
    '',
  ].join('\n'),
  virtual: [
    'postmaster@example.com ann@example.com,',
    '  ben@example.com',
    'team@example.net cid@example.net, ann@example.com',
    '',
  ].join('\n'),
  transport: ['ben@example.com smtp:[mx2.example.com]', 'example.org error:5.1.1 no such domain', ''].join('\n'),
};

async function etcPostfix(): Promise<string> {
  const dir = await tempDir('etc-postfix');
  const postfix = join(dir, 'postfix');
  await mkdir(postfix);
  await writeFile(join(postfix, 'main.cf'), MAIN_CF);
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(postfix, name), text);
  return postfix;
}

describe('the Postfix reader', () => {
  it('reads main.cf as postconf does', async () => {
    if (!requireTool('postconf')) return;
    const dir = await etcPostfix();
    const config = await PostfixConfig.read(dir);
    const names = [
      'myhostname',
      'smtp_helo_name',
      'virtual_mailbox_domains',
      'virtual_alias_maps',
      'maximal_queue_lifetime',
      'smtpd_relay_restrictions',
    ];
    // postconf -x expands $name; -h prints the value alone. Postfix refuses inet_interfaces that
    // are not this machine's, so it is overridden for postconf (the reader's is checked below).
    // Postfix's own config_directory is the directory (-c), where the reader keeps /etc/postfix:
    // only transport_maps names it.
    const postconf = (...args: string[]) =>
      run('postconf', ['-c', dir, '-o', 'inet_interfaces=loopback-only', '-x', '-h', ...args]);
    const { stdout } = await postconf(...names);
    expect(names.map((n) => config.get(n))).toEqual(stdout.trimEnd().split('\n'));
    expect(config.list('inet_interfaces')).toEqual(['192.0.2.25', '[2001:db8::25]']);
    const transport = await postconf('transport_maps');
    expect(config.get('transport_maps')).toBe(transport.stdout.trim().replace(dir, '/etc/postfix'));
  });

  it('reads each map as postmap does, and notes the ones no file holds', async () => {
    if (!requireTool('postmap')) return;
    const dir = await etcPostfix();
    const config = await PostfixConfig.read(dir);
    // postmap reads main.cf too, and refuses inet_interfaces that are not this machine's: it
    // runs with an empty one.
    const empty = await tempDir('postmap-config');
    await writeFile(join(empty, 'main.cf'), '');
    for (const [parameter, file] of [
      ['virtual_mailbox_maps', 'vmailbox'],
      ['virtual_alias_maps', 'virtual'],
      ['transport_maps', 'transport'],
    ] as const) {
      // texthash: reads the same source file postmap builds hash: and lmdb: from.
      const { stdout } = await run('postmap', ['-c', empty, '-s', `texthash:${join(dir, file)}`]);
      const theirs = new Map(
        stdout
          .trimEnd()
          .split('\n')
          .map((l) => l.split('\t') as [string, string]),
      );
      const ours = new Map((await config.table(parameter)).map((e) => [e.key, e.value]));
      expect(ours, parameter).toEqual(theirs);
    }
    expect(config.notes.map((n) => [n.where, n.text])).toEqual([
      [
        'main.cf:10',
        'virtual_alias_maps: a ldap: table holds what no file shows (ldap:/etc/postfix/ldap-aliases.cf); left out',
      ],
    ]);
  });
});

describe('mxplan import --postfix of a hand-written store', () => {
  it('takes its users, aliases and forwards, and comments what it guessed or left out', async () => {
    const dir = await etcPostfix();
    const { code, stdout, stderr } = await mxplan(['import', '--postfix', dir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = parse(stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    // maximal_queue_lifetime = 3: days, Postfix's unit for it; the one host's, so the plan's.
    expect(doc.defaults).toEqual({ ttl: 3600, queueLifetime: '3d' });
    expect(doc.hosts).toEqual({
      mx1: { fqdn: 'mx1.example.com', ipv4: ['192.0.2.25'], ipv6: ['2001:db8::25'], role: 'store' },
    });
    expect(doc.domains['example.com']).toEqual({
      mx: [{ host: 'mx1', preference: 10 }],
      users: { ann: 'mx1', ben: 'mx2' },
      aliases: { postmaster: ['ann', 'ben'] },
    });
    expect(doc.domains['example.net']).toMatchObject({
      users: { cid: 'mx1' },
      aliases: { team: ['cid', 'ann@example.com'] },
    });
    expect(doc.domains['parked.example']).toEqual({ mx: null });
    for (const comment of [
      '  # the id is guessed from myhostname\n',
      'No zone file was read: the SOA, name servers, SPF and DMARC are to be written.',
      '# postfix/vmailbox:5: @example.net: a catch-all the plan cannot state (every address is planned); left out',
      '# postfix/main.cf:10: virtual_alias_maps: a ldap: table holds what no file shows',
      '# guessed: no zone file shows this domain, so its final stores and its backups are its MX; import its zone file to read them',
      '# postfix/transport:1 forwards it to mx2.example.com, which is no host given here',
      '# quotas are unknown for the users of mx1: no Dovecot userdb was read',
    ])
      expect(stdout).toContain(comment);
  });

  it('stops with the file and line of a map it cannot read, exit 2', async () => {
    const dir = await etcPostfix();
    await writeFile(join(dir, 'transport'), 'ben@example.com\n');
    const { code, stderr } = await mxplan(['import', '--postfix', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain('transport:1: expected "key value", found "ben@example.com"');
    await rm(join(dir, 'main.cf'));
    const missing = await mxplan(['import', '--postfix', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--postfix ${dir}: no main.cf there`);
  });
});

describe('mxplan import --postfix of what mxplan mta wrote', () => {
  it('says the quotas are unknown without Dovecot, and refuses --dovecot for the wrong number of hosts', async () => {
    const dir = await tempDir('import-no-dovecot');
    expect((await mxplan(['mta', 'examples/building/topology.yaml', '--out', join(dir, 'mta')])).code).toBe(0);
    for (const host of ['mail1', 'mail2']) await rm(join(dir, 'mta', host, 'dovecot'), { recursive: true });
    const { code, stdout } = await mxplan(['import', '--postfix', join(dir, 'mta')]);
    expect(code).toBe(0);
    expect(stdout).toContain('# quotas are unknown for the users of mail1, mail2: no Dovecot userdb was read');
    expect(stdout).not.toContain('quota:');
    const wrong = await mxplan(['import', '--postfix', join(dir, 'mta'), '--dovecot', dir]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--dovecot names 1 directories for 3 Postfix directories');
  });
});
