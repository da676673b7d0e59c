/**
 * A topology whose shape fails in places: the shape errors are reported, and lint still judges
 * every part that passed, without echoing the shape errors in the parts that failed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTopology } from '../../src/lint/check.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { topology, type TopologyDoc } from '../helpers/topology.js';

afterAll(removeTempDirs);

/** Lints `doc` as the CLI does; findings as "rule path". */
async function check(doc: TopologyDoc | string): Promise<{ plan: unknown; findings: string[]; fixes: string[] }> {
  const dir = await tempDir('partial');
  const file = join(dir, 'topology.yaml');
  await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  const { plan, findings } = await checkTopology(file, { strict: true });
  return {
    plan,
    findings: findings.map((f) => `${f.rule} ${f.location.path}`),
    fixes: findings.map((f) => f.fix ?? ''),
  };
}

/** The base plan without globex's postmaster: a semantic error far from any shape error. */
const withLint = (edit: (t: TopologyDoc) => void) =>
  topology((t) => {
    delete t.domains['globex.example'].aliases.postmaster;
    edit(t);
  });

describe('a schema error does not hide the other checks', () => {
  it('reports the shape error and the semantic findings of the valid parts', async () => {
    const { plan, findings } = await check(withLint((t) => (t.hosts.store1.limits.storage = 'lots')));
    expect(plan).toBeUndefined(); // nothing is published from a plan that fails its shape
    expect(findings).toEqual([
      'topology-schema /hosts/store1/limits/storage',
      'postmaster-defined /domains/globex.example',
    ]);
  });

  it('drops what a broken MX list would cause, and keeps the rest of the domain checked', async () => {
    const { findings } = await check(
      withLint((t) => {
        t.domains['acme.example'].mx[1].preference = 'ten'; // leaves store1 alone: mx-has-backup would echo it
        delete t.domains['acme.example'].aliases.abuse;
      }),
    );
    expect(findings).toEqual([
      'topology-schema /domains/acme.example/mx/1/preference',
      'abuse-defined /domains/acme.example',
      'postmaster-defined /domains/globex.example',
    ]);
  });

  it('a host that fails its shape: what names it is not reported as unknown', async () => {
    const { findings } = await check(withLint((t) => (t.hosts.store2 = 'mail2.infra.example')));
    expect(findings).toEqual(['topology-schema /hosts/store2', 'postmaster-defined /domains/globex.example']);
  });

  it('a domain that fails its shape: its addresses are not reported as unknown elsewhere', async () => {
    const { findings } = await check(
      withLint((t) => {
        t.domains['globex.example'] = ['carol'];
        t.domains['acme.example'].aliases.team = ['nobody'];
      }),
    );
    // sales names carol@globex.example: unchecked; team is judged.
    expect(findings).toEqual([
      'topology-schema /domains/globex.example',
      'alias-members-exist /domains/acme.example/aliases/team/0',
    ]);
  });

  it('a key written twice: the rest of the plan is checked', async () => {
    const text = JSON.stringify(
      withLint(() => {}),
      null,
      2,
    ).replace('"bob": {', '"alice": "store1",\n        "bob": {');
    const { findings } = await check(text);
    expect(findings).toEqual([
      'topology-syntax /domains/acme.example/users/alice',
      'postmaster-defined /domains/globex.example',
    ]);
  });

  it('when the skeleton fails (no dns), nothing else can be checked, and the finding says so', async () => {
    const { findings, fixes } = await check(withLint((t) => delete t.dns));
    expect(findings).toEqual(['topology-schema ']);
    expect(fixes[0]).toMatch(/the plan's other checks did not run/i);
  });
});
