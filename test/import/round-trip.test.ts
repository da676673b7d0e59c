/**
 * `mxplan import` of what `mxplan zones` wrote, for both examples: the draft, with the users,
 * aliases and DKIM selectors merged back from the original plan (none is in DNS: a key record says
 * neither which selector signs nor where its private key is), lints clean and derives exactly the
 * original records, so `mxplan zones` writes the same files byte for byte.
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { mxplan, ROOT } from '../helpers/cli.js';
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
 * original plan (the default selectors, and the lint settings that go with its test keys, too).
 */
function merged(draft: string, original: string): string {
  const doc = parseDocument(draft);
  const source = parseDocument(original).toJS() as Doc;
  // The draft names hosts by their first label: a selector's signers go by fqdn, which both share.
  const byFqdn = (selectors: unknown) =>
    (selectors as { hosts?: string[] }[]).map((s) =>
      s.hosts ? { ...s, hosts: s.hosts.map((id) => source.hosts[id]?.fqdn ?? id) } : s,
    );
  for (const [name, spec] of Object.entries(source.domains)) {
    doc.deleteIn(['domains', name, 'dkim']);
    for (const key of ['users', 'usersFile', 'aliases', 'dkim'] as const) {
      const value = spec?.[key];
      if (value !== undefined)
        doc.setIn(['domains', name, key], doc.createNode(key === 'dkim' ? byFqdn(value) : value));
    }
  }
  if (source.defaults?.dkim) doc.setIn(['defaults', 'dkim'], doc.createNode(source.defaults.dkim));
  if (source.lint) doc.set('lint', doc.createNode(source.lint));
  return doc.toString();
}

describe.each(['building', 'hosting'])('mxplan import, round trip of the %s example', (example) => {
  it('gives a plan that lints clean and regenerates identical zones', async () => {
    const dir = await tempDir(`import-${example}`);
    await cp(join(ROOT, 'examples', example), join(dir, 'original'), { recursive: true });
    const original = join(dir, 'original', 'topology.yaml');
    const zones = join(dir, 'zones');
    const written = await mxplan(['zones', original, '--out', zones, '--serial', '2026010100']);
    expect(written.code).toBe(0);
    const files = (await readdir(zones)).filter((f) => f.endsWith('.zone')).map((f) => join(zones, f));

    const draftFile = join(dir, 'draft.yaml');
    const imported = await mxplan(['import', '--zone', ...files, '-o', draftFile]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const draft = await readFile(draftFile, 'utf8');
    expect(draft).toMatch(/role: relay # guessed: no SPF authorises it/);

    // The merged plan sits beside the original, so a users file resolves as it did there.
    const plan = join(dir, 'original', 'imported.yaml');
    await writeFile(plan, merged(draft, await readFile(original, 'utf8')));
    // Clean as the original is: no errors, no warnings, and the same advice. The MTA-STS web host
    // comes back from the policy host's addresses; the mode is the draft's guess.
    const findings = async (file: string) => {
      const { stdout, code } = await mxplan(['lint', file, '--format', 'json']);
      expect(code).toBe(0);
      const { findings: list, summary } = JSON.parse(stdout) as {
        findings: { rule: string; messageId: string }[];
        summary: { error: number; warning: number };
      };
      expect(summary).toMatchObject({ error: 0, warning: 0 });
      return list.map((f) => [f.rule, f.messageId]);
    };
    expect(await findings(plan)).toEqual(await findings(original));

    const [before, after] = await Promise.all(
      [original, plan].map((file) => mxplan(['records', file, '--format', 'json', '--serial', '2026010100'])),
    );
    expect(JSON.parse(after!.stdout)).toEqual(JSON.parse(before!.stdout));

    const again = join(dir, 'again');
    await mxplan(['zones', plan, '--out', again, '--serial', '2026010100']);
    for (const file of files) {
      const name = file.slice(zones.length + 1);
      const regenerated = (await readFile(join(again, name), 'utf8')).replace(
        'from imported.yaml',
        'from topology.yaml',
      );
      expect(regenerated, name).toBe(await readFile(file, 'utf8'));
    }
  });
});
