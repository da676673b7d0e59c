/**
 * The topologies in the documentation are a contract users copy from: every YAML sample in
 * README.md and docs/ lints clean (no error, no warning), as a user would run it. A sample reads
 * its users files from the CSV samples of the same page, each headed by a `# <name>` comment
 * (a comment line to the CSV reader as well).
 *
 * docs/rules.md is generated: its failing and passing excerpts come from the rules' own test
 * cases, which assert them, and the catalogue meta-test keeps the page equal to them. Its one
 * whole topology, the plan those excerpts vary, is linted here like every other sample.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lint } from '../../src/lint/run.js';
import { parsePlan } from '../../src/topology/load.js';
import { ROOT } from '../helpers/cli.js';

const GENERATED = 'docs/rules.md';

const pages = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
].map((file) => ({ name: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

function blocks(text: string, language: string): { text: string; line: number }[] {
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => ({
    text: m[1]!,
    line: text.slice(0, m.index).split('\n').length + 1,
  }));
}

/** The CSV samples of a page, by the file name of their first line (`# users/acme.csv`). */
function csvFiles(text: string): Map<string, string> {
  return new Map(
    blocks(text, 'csv').flatMap((b) => {
      const name = /^# (\S+)\n/.exec(b.text)?.[1];
      return name ? [[name, b.text] as const] : [];
    }),
  );
}

const samples = pages.flatMap((page) =>
  blocks(page.text, 'yaml').map((block) => ({ ...block, page: page.name, files: csvFiles(page.text) })),
);

describe('YAML samples in the documentation', () => {
  it('are there to check: the README has its topology, docs/rules.md its base plan', () => {
    expect(samples.filter((s) => s.page === 'README.md').length).toBeGreaterThan(0);
    expect(samples.filter((s) => s.page === GENERATED).length).toBeGreaterThan(100);
  });

  it('are whole topologies, except the generated excerpts of docs/rules.md', () => {
    const partial = samples.filter((s) => (parse(s.text) as { version?: unknown })?.version === undefined);
    expect(partial.filter((s) => s.page !== GENERATED).map((s) => `${s.page}:${s.line}`)).toEqual([]);
  });

  const whole = samples.filter((s) => (parse(s.text) as { version?: unknown })?.version !== undefined);
  it.each(whole.map((s) => [`${s.page}:${s.line}`, s] as const))('%s lints clean', async (_, sample) => {
    const { plan, findings } = await parsePlan(sample.text, sample.page, async (name) => {
      const file = sample.files.get(name);
      if (file === undefined)
        throw Object.assign(new Error(`no CSV sample "# ${name}" on the page`), { code: 'ENOENT' });
      return file;
    });
    expect(findings.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
    const problems = lint(plan!).filter((f) => f.severity !== 'info');
    expect(problems.map((f) => `${f.location.line}: ${f.rule}: ${f.message}`)).toEqual([]);
  });

  it('of the README keep what the README says of them', async () => {
    const readme = whole.find((s) => s.page === 'README.md')!;
    const { plan } = await parsePlan(readme.text, 'README.md', async (name) => readme.files.get(name)!);
    expect([...plan!.domains.keys()]).toEqual(['acme.example', 'parked.example']);
    expect([...plan!.domains.get('acme.example')!.users.keys()]).toEqual(['alice', 'bob', 'carol']);
  });
});
