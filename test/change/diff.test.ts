/**
 * `mxplan diff` on the building example: the move of one user, a realistic migration (a new
 * backup MX replaces the old one), and the exit codes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { brokenCopy, lineOf, mxplan } from '../helpers/cli.js';
import { moveBob, replaceBackup } from '../helpers/migrations.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

const building = 'examples/building/topology.yaml';

interface JsonDiff {
  summary: { planChanges: number; recordChanges: number; unsafe: number };
  changes: { kind: string; message: string; at: { file: string; line: number } }[];
  records: { zone: string; changes: { kind: string; text: string }[] }[];
  migration: {
    steps: {
      phase: string;
      wait: number;
      actions: { text: string; records?: { text: string }[]; mta?: { host: string; files: string[] } }[];
    }[];
    hazards: { severity: string; message: string }[];
  };
}

async function jsonDiff(args: string[]): Promise<{ code: number | null; diff: JsonDiff; stderr: string }> {
  const { code, stdout, stderr } = await mxplan(['diff', ...args, '--format', 'json']);
  return { code, diff: JSON.parse(stdout) as JsonDiff, stderr };
}

describe('mxplan diff: bob moves from mail2 to mail1 (building)', () => {
  it('names the move, its order and its waits', async () => {
    const { file, text } = await brokenCopy('building', moveBob);
    const { code, diff, stderr } = await jsonDiff([building, file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(diff.changes.map((c) => c.message)).toEqual([
      'user bob@acme.example moves from mail2 to mail1',
      'SPF of acme.example: v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip6:2001:db8:10::10 ip6:2001:db8:10::11 -all → v=spf1 ip4:192.0.2.10 ip6:2001:db8:10::10 -all',
      'host mail1: its Postfix and Dovecot configuration changes (postfix/transport, dovecot/passwd and dovecot/users)',
      // main.cf: mail2's own domain for a bare postmaster (myorigin) is no longer acme.example;
      // opendkim/: mail2 no longer sends for acme.example, so it no longer signs for it
      'host mail2: its Postfix and Dovecot configuration changes (postfix/main.cf, postfix/transport, postfix/virtual_mailbox, postfix/virtual_mailbox_domains and 6 more)',
    ]);
    expect(diff.changes[0]!.at.line).toBe(lineOf(text, 'bob: { host: mail1'));
    // mail2 no longer sends for acme.example: the one record change is its SPF.
    expect(diff.records).toEqual([
      {
        zone: 'acme.example',
        status: 'changed',
        changes: [
          expect.objectContaining({
            kind: 'modify',
            text: '± MODIFY acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip6:2001:db8:10::10 ip6:2001:db8:10::11 -all" -> acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip6:2001:db8:10::10 -all"',
          }),
        ],
      },
    ]);
    const steps = diff.migration.steps;
    expect(steps.map((s) => [s.phase, s.wait])).toEqual([
      ['lower-ttl', 3600], // the SPF record's old TTL
      ['move', 0],
      ['switch', 300], // the lowered TTL
      ['restore-ttl', 0],
    ]);
    expect(steps[0]!.actions.map((a) => a.text)).toEqual(['acme.example. TXT: TTL 3600 → 300']);
    // The new home's Dovecot takes the mailbox, it is copied, the new home's Postfix stores it,
    // the old home's forwards it (and takes acme.example no more), and the old home's Dovecot
    // lets it go once it is copied again.
    expect(steps[1]!.actions.map((a) => [a.text, a.mta])).toEqual([
      [
        'host mail1: install its new dovecot/passwd and dovecot/users, then doveadm reload; it can take the mailbox of bob@acme.example, to be copied in',
        { host: 'mail1', files: ['dovecot/passwd', 'dovecot/users'] },
      ],
      [
        'bob@acme.example: copy the mailbox from mail2 to mail1; then route it to mail1 on mail1, mail2; then copy again what mail2 stored in between',
        undefined,
      ],
      [
        'first host mail1: install its new postfix/transport, then postfix reload; it stores bob@acme.example from now on',
        { host: 'mail1', files: ['postfix/transport'] },
      ],
      [
        'last host mail2: install its new postfix/main.cf, postfix/transport, postfix/virtual_mailbox and postfix/virtual_mailbox_domains, then postfix reload; it forwards bob@acme.example to the new home and takes no more mail for acme.example',
        {
          host: 'mail2',
          files: ['postfix/main.cf', 'postfix/transport', 'postfix/virtual_mailbox', 'postfix/virtual_mailbox_domains'],
        },
      ],
      [
        'after the second copy, host mail2: install its new dovecot/passwd and dovecot/users, then doveadm reload; it no longer serves bob@acme.example',
        { host: 'mail2', files: ['dovecot/passwd', 'dovecot/users'] },
      ],
    ]);
    // The SPF that drops mail2 is published only after bob's mail no longer comes from there.
    expect(steps[2]!.actions.flatMap((a) => a.records ?? []).map((r) => r.text)).toEqual([
      diff.records[0]!.changes[0]!.text,
    ]);
    expect(steps[3]!.actions.map((a) => a.text)).toEqual(['acme.example. TXT: TTL 300 → 3600']);
    expect(diff.migration.hazards).toEqual([]);
  });

  it('exits 1 with --exit-code, as git diff does, and prints text and Markdown', async () => {
    const { file } = await brokenCopy('building', moveBob);
    const text = await mxplan(['diff', building, file, '--exit-code']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('\nMigration order\n  1. lower the TTL of the RRsets that will change to 300 s\n');
    expect(text.stdout).toContain('     then wait 1 hour: the longest old TTL');
    const markdown = await mxplan(['diff', building, file, '--format', 'markdown']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^## mxplan diff\n/);
    expect(markdown.stdout).toContain('```diff\n# zone acme.example\n! MODIFY acme.example. 3600 IN TXT');
    expect(markdown.stdout).toContain('| user bob@acme.example moves from mail2 to mail1 |');
  });
});

describe('mxplan diff: a mailbox moves to a store that does not serve its domain yet', () => {
  it('has the store take the domain with the mailbox, before mail is forwarded there', async () => {
    const { file } = await brokenCopy('building', (t) => t.replace('      carol: mail2\n', '      carol: mail1\n'));
    const { diff } = await jsonDiff([building, file]);
    // The SPF that authorises both stores comes first; mail1 takes globex.example with carol's
    // mailbox, in the move, before any store forwards her mail there.
    const add = diff.migration.steps.find((s) => s.phase === 'add')!;
    expect(add.actions.map((a) => a.text)).toEqual(['publish the added records (old ones stay)']);
    expect(diff.migration.steps.map((s) => s.phase)).toEqual(['lower-ttl', 'add', 'move', 'restore-ttl']);
    const move = diff.migration.steps.find((s) => s.phase === 'move')!;
    expect(move.actions.map((a) => a.mta && `${a.mta.host} ${a.mta.files.join(' ')}`)).toEqual([
      'mail1 dovecot/passwd dovecot/users',
      undefined,
      'mail1 postfix/transport postfix/virtual_mailbox postfix/virtual_mailbox_domains',
      'mail2 postfix/transport',
      'mail2 dovecot/passwd dovecot/users',
    ]);
  });
});

describe('mxplan diff: a new backup MX replaces the old one', () => {
  it('adds the new backup first, drains the old one for its queue lifetime, then retires it', async () => {
    const { file } = await brokenCopy('building', replaceBackup);
    const { code, diff } = await jsonDiff([building, file, '--low-ttl', '600']);
    expect(code).toBe(0);
    expect(diff.changes.map((c) => c.message).slice(0, 3)).toEqual([
      'host backup2 (mx2.tower.example) is added',
      'host backup (mx-backup.tower.example) is retired',
      'MX of tower.example: 10 mail1, 50 backup → 10 mail1, 50 backup2',
    ]);
    const steps = diff.migration.steps;
    expect(steps.map((s) => [s.phase, s.wait])).toEqual([
      ['lower-ttl', 3600],
      ['add', 600], // the lowered MX TTL, longer than the negative TTL (SOA minimum 300) of the new names
      ['switch', 600],
      ['drain', 7 * 86400], // the retired backup's queue lifetime
      ['retire', 0],
      ['restore-ttl', 0],
    ]);
    const published = (phase: string) =>
      steps
        .find((s) => s.phase === phase)!
        .actions.flatMap((a) => a.records ?? [])
        .map((r) => r.text);
    expect(published('add')).toContain('+ CREATE acme.example. 3600 IN MX 50 mx2.tower.example.');
    expect(published('add')).toContain('+ CREATE mx2.tower.example. 3600 IN A 198.51.100.26');
    expect(published('switch')).toContain('- DELETE acme.example. 3600 IN MX 50 mx-backup.tower.example.');
    // The old backup's own name lives until it is stopped: a sender may still hold its MX.
    expect(published('retire')).toEqual([
      '- DELETE 25.100.51.198.in-addr.arpa. 3600 IN PTR mx-backup.tower.example.',
      '- DELETE mx-backup.tower.example. 3600 IN A 198.51.100.25',
      '- DELETE mx-backup.tower.example. 3600 IN TXT "v=spf1 ip4:198.51.100.25 -all"',
    ]);
    expect(steps.find((s) => s.phase === 'add')!.actions[0]!.text).toBe(
      'start host backup2 (mx2.tower.example) with its configuration under the new plan',
    );
  });

  it('is unsafe when the old backup cannot stay up long enough (--retire-within)', async () => {
    const { file } = await brokenCopy('building', replaceBackup);
    const short = await jsonDiff([building, file, '--retire-within', '2m']);
    expect(short.code).toBe(1);
    expect(short.diff.migration.hazards.map((h) => [h.severity, h.message])).toEqual([
      [
        'unsafe',
        'host backup leaves the plan, but senders may still use its MX records for 5 minutes after they are removed (the TTL in force), longer than the 2 minutes it stays up (the retirement window)',
      ],
    ]);
    const days = await jsonDiff([building, file, '--retire-within', '2d']);
    expect(days.code).toBe(1);
    expect(days.diff.migration.hazards[0]!.message).toContain('may wait in its queue for 1 week (its queue lifetime)');
    const enough = await jsonDiff([building, file, '--retire-within', '8d']);
    expect(enough.code).toBe(0);
    expect(enough.diff.summary.unsafe).toBe(0);
  });

  it('publishes an SPF policy with the old and the new senders while users move', async () => {
    // tower.example's users move from mail1 to mail2: its SPF gains mail2 and loses mail1.
    const { file } = await brokenCopy('building', (t) =>
      t.replace('      helpdesk: mail1\n      admin: mail1', '      helpdesk: mail2\n      admin: mail2'),
    );
    const { diff } = await jsonDiff([building, file]);
    const texts = (phase: string) =>
      diff.migration.steps
        .find((s) => s.phase === phase)!
        .actions.flatMap((a) => a.records ?? [])
        .map((r) => r.text);
    const union = 'v=spf1 ip4:192.0.2.11 ip6:2001:db8:10::11 ip4:192.0.2.10 ip6:2001:db8:10::10 -all';
    expect(texts('add')).toEqual([
      `± MODIFY tower.example. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip6:2001:db8:10::10 -all" -> tower.example. 3600 IN TXT "${union}"`,
    ]);
    expect(texts('switch')).toEqual([
      `± MODIFY tower.example. 3600 IN TXT "${union}" -> tower.example. 3600 IN TXT "v=spf1 ip4:192.0.2.11 ip6:2001:db8:10::11 -all"`,
    ]);
  });
});

describe('mxplan diff: exit codes', () => {
  it('exits 0 for no changes, even with --exit-code', async () => {
    const result = await mxplan(['diff', building, building, '--exit-code']);
    expect(result.stdout).toBe(
      `mxplan diff ${building} → ${building}: 0 plan changes, 0 record changes in 0 zones\nno changes\n`,
    );
    expect(result.code).toBe(0);
  });

  it('exits 2 when it cannot run', async () => {
    expect((await mxplan(['diff', building, building, '--low-ttl', 'soon'])).code).toBe(2);
    const missing = await mxplan(['diff', building, 'no-such.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read topology no-such.yaml');
  });

  it('exits 1 when the new plan has errors, unless --force', async () => {
    const { file } = await brokenCopy('building', (t) => t.replace('bob: { host: mail2', 'bob: { host: mail9'));
    const refused = await mxplan(['diff', building, file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no diff was made');
    const forced = await mxplan(['diff', building, file, '--force', '--format', 'json']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('user bob@acme.example moves from mail2 to mail9');
  });
});

describe('mxplan diff: an MTA-STS policy changes (RFC 8461 §3.1)', () => {
  // A new MX for acme.example, which publishes MTA-STS: its policy changes.
  const addMx = (t: string) =>
    t.replace(
      '      - { host: backup, preference: 50 }\n    users:\n      alice: mail1',
      '      - { host: backup, preference: 50 }\n      - { host: mail2, preference: 60 }\n    users:\n      alice: mail1',
    );
  const writtenId = (t: string) =>
    t.replace('mtaSts: { mode: testing, host: www }', 'mtaSts: { mode: testing, id: "20261101", host: www }');

  it('is unsafe when the policy changes under the id written in the topology', async () => {
    const { file: old } = await brokenCopy('building', writtenId);
    const { file } = await brokenCopy('building', (t) => addMx(writtenId(t)));
    const { code, diff } = await jsonDiff([old, file]);
    expect(code).toBe(1);
    expect(diff.migration.hazards).toEqual([
      expect.objectContaining({
        severity: 'unsafe',
        message: expect.stringMatching(
          /^the MTA-STS policy of acme\.example changes but its id stays 20261101: senders keep the old policy for up to 1 week \(its max_age\)/,
        ),
      }),
    ]);
  });

  it('is safe when the id follows the policy (no id in the topology, as in the example)', async () => {
    const { file } = await brokenCopy('building', addMx);
    const { diff } = await jsonDiff([building, file]);
    expect(diff.summary.unsafe).toBe(0);
    expect(diff.changes.map((c) => c.message)).toContainEqual(
      expect.stringMatching(
        /^MTA-STS of acme\.example: v=STSv1; id=[0-9a-f]{20} .* → v=STSv1; id=[0-9a-f]{20} \(policy: mode testing, mx mail1\.tower\.example mx-backup\.tower\.example mail2\.tower\.example/,
      ),
    );
  });
});
