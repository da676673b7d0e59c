/**
 * `mxplan import` of what `mxplan zones` and `mxplan mta` wrote, for both examples:
 *
 * - from the zones and the Postfix and Dovecot configuration together, the draft (with only the
 *   DKIM selectors merged back) lints as the original does and regenerates the same zone files and
 *   the same MTA files, byte for byte: users, aliases and quotas come from the mail servers' maps;
 * - from the zones alone, with the users, aliases and DKIM selectors merged back from the original
 *   plan (none is in DNS: a key record says neither which selector signs nor where its private key
 *   is), it regenerates the same zone files.
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { mxplan, ROOT } from '../helpers/cli.js';
import { readTree } from '../helpers/tree.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

type Doc = {
  hosts: Record<string, { fqdn: string }>;
  defaults?: Record<string, unknown>;
  domains: Record<string, Record<string, unknown> | null>;
  lint?: unknown;
};

/**
 * The draft with each domain's users, users file, aliases and DKIM selectors taken from the
 * original plan (the default selectors, and the lint settings that go with its test keys, too),
 * or (`dkim`) only the DKIM selectors and those lint settings.
 */
function merged(draft: string, original: string, what: 'plan' | 'dkim' = 'plan'): string {
  const keys = what === 'plan' ? (['users', 'usersFile', 'aliases', 'dkim'] as const) : (['dkim'] as const);
  const doc = parseDocument(draft);
  const source = parseDocument(original).toJS() as Doc;
  // The draft names hosts by their first label: a selector's signers go by fqdn, which both share.
  const byFqdn = (selectors: unknown) =>
    (selectors as { hosts?: string[] }[]).map((s) =>
      s.hosts ? { ...s, hosts: s.hosts.map((id) => source.hosts[id]?.fqdn ?? id) } : s,
    );
  for (const [name, spec] of Object.entries(source.domains)) {
    doc.deleteIn(['domains', name, 'dkim']);
    for (const key of keys) {
      const value = spec?.[key];
      if (value !== undefined)
        doc.setIn(['domains', name, key], doc.createNode(key === 'dkim' ? byFqdn(value) : value));
    }
  }
  if (source.defaults?.dkim) doc.setIn(['defaults', 'dkim'], doc.createNode(source.defaults.dkim));
  if (source.lint) doc.set('lint', doc.createNode(source.lint));
  return doc.toString();
}

/** Lint's findings of a plan that has no errors and no warnings, as [rule, messageId]. */
async function cleanFindings(file: string): Promise<string[][]> {
  const { stdout, code } = await mxplan(['lint', file, '--format', 'json']);
  expect(code).toBe(0);
  const { findings, summary } = JSON.parse(stdout) as {
    findings: { rule: string; messageId: string }[];
    summary: { error: number; warning: number };
  };
  expect(summary).toMatchObject({ error: 0, warning: 0 });
  return findings.map((f) => [f.rule, f.messageId]);
}

/** The original example beside its zones and MTA files, as `mxplan zones` and `mxplan mta` wrote them. */
async function generated(example: string): Promise<{ dir: string; original: string; zones: string[]; mta: string }> {
  const dir = await tempDir(`import-${example}`);
  await cp(join(ROOT, 'examples', example), join(dir, 'original'), { recursive: true });
  const original = join(dir, 'original', 'topology.yaml');
  const zones = join(dir, 'zones');
  expect((await mxplan(['zones', original, '--out', zones, '--serial', '2026010100'])).code).toBe(0);
  const mta = join(dir, 'mta');
  expect((await mxplan(['mta', original, '--out', mta])).code).toBe(0);
  const files = (await readdir(zones)).filter((f) => f.endsWith('.zone')).map((f) => join(zones, f));
  return { dir, original, zones: files, mta };
}

describe.each(['building', 'hosting'])('mxplan import, round trip of the %s example', (example) => {
  it('from zones and mail server configuration: lints clean and regenerates identical zones and MTA files', async () => {
    const { dir, original, zones, mta } = await generated(example);
    const draftFile = join(dir, 'imported-draft.yaml');
    const imported = await mxplan(['import', '--zone', ...zones, '--postfix', mta, '-o', draftFile]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const draft = await readFile(draftFile, 'utf8');
    // Nothing is guessed about the hosts: their configuration says what they are.
    expect(draft).not.toMatch(/role: \w+ # guessed/);
    expect(draft).toContain('# not in the configuration, so the defaults apply: planned outage');
    // Which selector signs, and where its private key is, are in neither DNS nor Postfix: the
    // selectors come back from the original, beside which the plan sits (key paths resolve there).
    const plan = join(dir, 'original', 'imported.yaml');
    await writeFile(plan, merged(draft, await readFile(original, 'utf8'), 'dkim'));

    // Clean as the original is: no errors, no warnings, and the same advice (both examples get
    // mta-sts-covers-mx's reminder about the policy file, whose mode the draft can only guess).
    expect(await cleanFindings(plan)).toEqual(await cleanFindings(original));

    const again = join(dir, 'again');
    expect((await mxplan(['zones', plan, '--out', join(again, 'zones'), '--serial', '2026010100'])).code).toBe(0);
    for (const file of zones) {
      const name = file.slice(file.lastIndexOf('/') + 1);
      expect(await readFile(join(again, 'zones', name), 'utf8'), name).toBe(await readFile(file, 'utf8'));
    }
    expect((await mxplan(['mta', plan, '--out', join(again, 'mta')])).code).toBe(0);
    const [before, after] = [await readTree(mta), await readTree(join(again, 'mta'))];
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, text] of before) expect(after.get(name), name).toBe(text);
  });

  it('from zones alone, with the users and aliases of the original: regenerates identical zones', async () => {
    const { dir, original, zones } = await generated(example);
    const draftFile = join(dir, 'draft.yaml');
    const imported = await mxplan(['import', '--zone', ...zones, '-o', draftFile]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const draft = await readFile(draftFile, 'utf8');
    expect(draft).toMatch(/role: relay # guessed: no SPF authorises it/);

    // The merged plan sits beside the original, so a users file resolves as it did there.
    const plan = join(dir, 'original', 'imported.yaml');
    await writeFile(plan, merged(draft, await readFile(original, 'utf8')));
    // Clean as the original is: no errors, no warnings, and the same advice. The MTA-STS web host
    // comes back from the policy host's addresses; the mode is the draft's guess.
    expect(await cleanFindings(plan)).toEqual(await cleanFindings(original));

    const [before, after] = await Promise.all(
      [original, plan].map((file) => mxplan(['records', file, '--format', 'json', '--serial', '2026010100'])),
    );
    expect(JSON.parse(after!.stdout)).toEqual(JSON.parse(before!.stdout));

    const again = join(dir, 'again');
    await mxplan(['zones', plan, '--out', again, '--serial', '2026010100']);
    for (const file of zones) {
      const name = file.slice(file.lastIndexOf('/') + 1);
      const regenerated = (await readFile(join(again, name), 'utf8')).replace(
        'from imported.yaml',
        'from topology.yaml',
      );
      expect(regenerated, name).toBe(await readFile(file, 'utf8'));
    }
  });
});
