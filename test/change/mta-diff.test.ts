/**
 * `mxplan diff`'s MTA configuration changes: the unified diffs are real ones (GNU patch turns what
 * `mxplan mta` wrote for the old plan into what it writes for the new one, byte for byte), the
 * summary names the entries, and the migration order places each host's reconfiguration.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { diffPlans } from '../../src/change/diff.js';
import { formatDiff } from '../../src/change/format.js';
import type { Step } from '../../src/change/migration.js';
import { mtaFiles } from '../../src/mta/mta-dir.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { brokenCopy, ROOT } from '../helpers/cli.js';
import { moveBob, replaceBackup, retireMail2 } from '../helpers/migrations.js';
import { readTree } from '../helpers/tree.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

afterAll(removeTempDirs);

const run = promisify(execFile);
const building = join(ROOT, 'examples/building/topology.yaml');

async function plan(file: string): Promise<Plan> {
  const { plan } = await loadPlan(file);
  if (!plan) throw new Error(`${file} does not load`);
  return plan;
}

async function edited(edit: (text: string) => string): Promise<Plan> {
  return plan((await brokenCopy('building', edit)).file);
}

/** The backup takes a new domain and stops being tower.example's MX: it must widen early and narrow late. */
const backupSwapsDomains = (t: string) =>
  t
    .replace(
      '      - { host: mail1, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      helpdesk',
      '      - { host: mail1, preference: 10 }\n    users:\n      helpdesk',
    )
    .replace(
      '  initech-old.example:',
      '  hooli.example:\n    mx:\n      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      gavin: mail2\n    aliases:\n      postmaster: [gavin]\n      abuse: [gavin]\n\n  initech-old.example:',
    );

/** The files `mxplan mta` writes for a plan, without the tree's README (no host's configuration). */
async function writeTree(dir: string, p: Plan): Promise<void> {
  for (const [name, text] of mtaFiles(p).files) {
    if (name === 'README.md') continue;
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

describe.each([
  ['bob moves to mail1', moveBob],
  ['a new backup MX replaces the old one', replaceBackup],
  ['mail2 is retired', retireMail2],
  ['the backup swaps domains', backupSwapsDomains],
])('the MTA diff when %s', (_name, edit) => {
  it("patches the old plan's files into the new plan's with GNU patch", async () => {
    if (!requireTool('patch')) return;
    const [before, after] = [await plan(building), await edited(edit)];
    const diff = diffPlans(before, after, { lowTtl: 300 });
    const json = JSON.parse(formatDiff(diff, 'json', { cwd: ROOT })) as {
      mta: { host: string; files: { patch: string }[] }[];
    };
    const patch = json.mta.flatMap((h) => h.files.map((f) => f.patch)).join('');
    expect(patch).not.toBe('');

    const dir = await tempDir('mta-patch');
    const [old, now] = [join(dir, 'old'), join(dir, 'new')];
    await writeTree(old, before);
    await writeTree(now, after);
    await writeFile(join(dir, 'all.patch'), patch);
    // -p1: a/<host>/<file>; -E: a file the patch empties (a retired host's) goes; no fuzz accepted.
    await run('patch', ['-p1', '-E', '--fuzz=0', '--batch', '--silent', '-d', old, '-i', join(dir, 'all.patch')]);
    await removeEmptyDirs(old);
    expect(await readTree(old)).toEqual(await readTree(now));
  });
});

async function removeEmptyDirs(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = join(dir, entry.name);
    await removeEmptyDirs(sub);
    if ((await readdir(sub)).length === 0) await rm(sub, { recursive: true });
  }
}

describe('the MTA diff summary', () => {
  it('names the entries each file gains, loses and changes, host by host', async () => {
    const diff = diffPlans(await plan(building), await edited(moveBob), { lowTtl: 300 });
    const text = formatDiff(diff, 'text', { cwd: ROOT, mta: 'summary' });
    const section = text.slice(text.indexOf('MTA configuration changes'), text.indexOf('Migration order'));
    expect(section).toBe(
      [
        'MTA configuration changes',
        '  host mail1',
        '    postfix/transport: -1 (bob@acme.example)',
        '    dovecot/passwd: +1 (bob@acme.example)',
        '    dovecot/users: +1 (bob@acme.example)',
        '  host mail2',
        // its bare postmaster's domain (the first it serves) is no longer acme.example
        '    postfix/main.cf: changed 1 (myorigin)',
        '    postfix/transport: +2 (acme.example and bob@acme.example)',
        '    postfix/virtual_mailbox: -4 (alice@acme.example, bob@acme.example, dave@acme.example and 1 more)',
        '    postfix/virtual_mailbox_domains: -1 (acme.example)',
        '    dovecot/passwd: -1 (bob@acme.example)',
        '    dovecot/users: -1 (bob@acme.example)',
        // nobody on mail2 sends for acme.example any more: it no longer signs for it
        '    opendkim/KeyTable: -1 (s2026._domainkey.acme.example)',
        '    opendkim/KeyTable-ed25519: -1 (e2026._domainkey.acme.example)',
        '    opendkim/SigningTable: -2 (*@acme.example and *@*.acme.example)',
        '    opendkim/SigningTable-ed25519: -2 (*@acme.example and *@*.acme.example)',
        '',
        '',
      ].join('\n'),
    );
    // The default shows each file's unified diff under its summary line.
    const full = formatDiff(diff, 'text', { cwd: ROOT });
    expect(full).toContain(
      [
        '    postfix/virtual_mailbox_domains: -1 (acme.example)',
        '      --- a/mail2/postfix/virtual_mailbox_domains',
        '      +++ b/mail2/postfix/virtual_mailbox_domains',
        '      @@ -1,5 +1,4 @@',
        '       # Generated by mxplan: edit the topology, not this file.',
        '       # Postfix virtual_mailbox_domains: the domains this host is the final destination of.',
        '      -acme.example final',
        '       globex.example final',
        '       initech.example final',
      ].join('\n'),
    );
    const markdown = formatDiff(diff, 'markdown', { cwd: ROOT });
    expect(markdown).toContain(
      '- **host mail2**\n  - `postfix/main.cf: changed 1 (myorigin)`\n  - `postfix/transport: +2 (acme.example and bob@acme.example)`',
    );
    expect(markdown).toContain('  ```diff\n  --- a/mail1/postfix/transport\n');
  });

  it('says a changed setting of main.cf by its name', async () => {
    const diff = diffPlans(await plan(building), await edited(replaceBackup), { lowTtl: 300 });
    expect(diff.mta.available && diff.mta.hosts.map((h) => [h.host, h.status, h.files.length])).toEqual([
      // its eight Postfix files and OpenDKIM's seven (an instance per algorithm, one InternalHosts)
      ['backup', 'retired', 15],
      ['backup2', 'added', 8],
      ['mail1', 'changed', 1],
      ['mail2', 'changed', 1],
    ]);
    const mail1 = diff.mta.available ? diff.mta.hosts[2]!.files[0]! : undefined;
    expect(mail1?.entries).toEqual({ added: [], removed: [], changed: ['mynetworks'] });
  });
});

describe('the MTA reconfiguration in the migration order', () => {
  const actions = (steps: readonly Step[], phase: string) =>
    steps.find((s) => s.phase === phase)?.actions.flatMap((a) => (a.mta ? [a.text] : [])) ?? [];

  it('starts a new backup with all its files, and reloads the stores with the switch', async () => {
    const { migration } = diffPlans(await plan(building), await edited(replaceBackup), { lowTtl: 300 });
    const start = migration.steps[1]!.actions[0]!;
    expect(start.mta).toEqual({
      host: 'backup2',
      files: [
        'postfix/bounce.cf',
        'postfix/main.cf',
        'postfix/master.cf',
        'postfix/recipient_access',
        'postfix/relay_domains',
        'postfix/relay_recipients',
        'postfix/sender_access',
        'postfix/tls_policy',
      ],
    });
    expect(actions(migration.steps, 'switch')).toEqual([
      'host mail1: install its new postfix/main.cf, then postfix reload',
      'host mail2: install its new postfix/main.cf, then postfix reload',
    ]);
  });

  it('starts, reloads and stops the OpenDKIM instances whose files change, around postfix reload', async () => {
    // The backup stops signing tower.example with Ed25519: it runs no Ed25519 instance any more.
    const noEd25519OnBackup = (t: string) =>
      t.replace(
        'e2026, algorithm: ed25519, key: keys/tower.example.e2026.pem, hosts: [mail1, mail2, backup]',
        'e2026, algorithm: ed25519, key: keys/tower.example.e2026.pem, hosts: [mail1, mail2]',
      );
    const backupStep = (steps: readonly Step[]) =>
      steps.flatMap((s) => s.actions).find((a) => a.mta?.host === 'backup')?.text;
    const before = await plan(building);
    const after = await edited(noEd25519OnBackup);
    expect(backupStep(diffPlans(before, after, { lowTtl: 300 }).migration.steps)).toMatch(
      /then postfix reload and systemctl reload-or-restart opendkim\.service and systemctl stop opendkim-ed25519\.service and systemctl disable opendkim-ed25519\.service$/,
    );
    expect(backupStep(diffPlans(after, before, { lowTtl: 300 }).migration.steps)).toMatch(
      /then systemctl enable opendkim-ed25519\.service and systemctl start opendkim-ed25519\.service and postfix reload and systemctl reload-or-restart opendkim\.service$/,
    );
  });

  it('retires a store: the remaining store takes its domain early and its mailboxes in the move', async () => {
    const { migration } = diffPlans(await plan(building), await edited(retireMail2), { lowTtl: 300 });
    // mail1 becomes globex.example's MX: it takes the domain before the MX record is published.
    expect(actions(migration.steps, 'add')).toEqual([
      'host mail1: add to its running files what the new ones add (postfix/virtual_mailbox_domains globex.example), then postfix reload; it accepts 1 new entry before mail is routed there; its new files in full come in the move step',
    ]);
    const move = migration.steps.find((s) => s.phase === 'move')!;
    // mail2 is retired: it keeps its old files to drain, so only mail1 is reconfigured.
    expect(move.actions.flatMap((a) => (a.mta ? [a.mta.host] : []))).toEqual(['mail1', 'mail1']);
    expect(move.actions.find((a) => a.text.startsWith('bob@acme.example'))?.text).toBe(
      'bob@acme.example: copy the mailbox from mail2 to mail1; then route it to mail1 on mail1; then copy again what mail2 stored in between',
    );
    expect(
      migration.steps
        .find((s) => s.phase === 'retire')!
        .actions.map((a) => a.text)
        .slice(0, 2),
    ).toEqual([
      'copy again what mail2 stored since the move in the 6 mailboxes that left it (bob@acme.example, carol@globex.example, frank@globex.example and 3 more) to their new homes',
      'stop mail2 (mail2.tower.example)',
    ]);
  });

  it('adds what a host newly accepts before the MX is published, and drops an old MX domain after the drain', async () => {
    const { migration } = diffPlans(await plan(building), await edited(backupSwapsDomains), { lowTtl: 300 });
    expect(actions(migration.steps, 'add')).toEqual([
      'host backup: add to its running files what the new ones add (postfix/relay_domains hooli.example; postfix/relay_recipients abuse@hooli.example, gavin@hooli.example and postmaster@hooli.example), then postfix reload; it accepts 4 new entries before mail is routed there; its new files in full come in the drain step',
      // its new files also change what it signs for (opendkim/), so the additions come first
      'host mail2: add to its running files what the new ones add (postfix/virtual_alias abuse@hooli.example and postmaster@hooli.example; postfix/virtual_mailbox gavin@hooli.example; postfix/virtual_mailbox_domains hooli.example; dovecot/passwd gavin@hooli.example; dovecot/users gavin@hooli.example), then postfix reload and doveadm reload; it accepts 6 new entries before mail is routed there; its new files in full come in the switch step',
    ]);
    expect(actions(migration.steps, 'switch')).toEqual([
      'host mail1: install its new postfix/transport and postfix/virtual_alias, then postfix reload',
      'host mail2: install its new postfix/virtual_alias, postfix/virtual_mailbox, postfix/virtual_mailbox_domains, dovecot/passwd, dovecot/users, opendkim/KeyTable, opendkim/KeyTable-ed25519, opendkim/SigningTable and opendkim/SigningTable-ed25519, then postfix reload and doveadm reload and systemctl reload-or-restart opendkim.service opendkim-ed25519.service',
    ]);
    expect(actions(migration.steps, 'drain')).toEqual([
      // main.cf: its bare postmaster's domain (myorigin) follows the domains it serves
      'host backup: install its new postfix/main.cf, postfix/relay_domains and postfix/relay_recipients, then postfix reload; it stops accepting mail for tower.example, now that no sender holds its old MX records',
    ]);
  });
});
