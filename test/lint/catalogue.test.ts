/**
 * Meta-tests that keep the catalogue honest, as typescript-eslint does for its rules: the index,
 * the rules directory, the test files and docs/rules.md name the same rules, and every rule
 * carries the metadata the docs, `mxplan rules` and SARIF read.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRuleDocs } from '../../src/lint/docs.js';
import { catalogue, loaderChecks, rules } from '../../src/lint/index.js';
import { CATEGORIES, type Rule } from '../../src/lint/rule.js';
import { lint } from '../../src/lint/run.js';
import { ruleExamples } from '../helpers/rule-examples.js';
import { collectRuleCases } from '../helpers/rule-tester.js';
import { planOf, topology } from '../helpers/topology.js';

const root = new URL('../../', import.meta.url);
const ruleFiles = readdirSync(new URL('src/lint/rules/', root))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const testFiles = readdirSync(new URL('test/lint/rules/', root))
  .map((f) => f.replace(/\.test\.ts$/, ''))
  .sort();
// Every rule's test cases, read without running them (their own files run them): the docs' examples.
const cases = await collectRuleCases(() =>
  Promise.all(testFiles.map((id) => import(new URL(`test/lint/rules/${id}.test.ts`, root).href))),
);

describe('the rule catalogue', () => {
  it('lists exactly the files in src/lint/rules, sorted by id', () => {
    const ids = [...rules.keys()];
    expect(ids).toEqual(ruleFiles);
    expect(ids).toEqual([...ids].sort());
  });

  it('takes each rule from the file named by its id', async () => {
    for (const id of ruleFiles) {
      const { default: rule } = (await import(new URL(`src/lint/rules/${id}.ts`, root).href)) as { default: Rule };
      expect(rule.meta.id).toBe(id);
      expect(rules.get(id)).toBe(rule);
    }
  });

  it('has a test file for every rule and no test file without a rule', () => {
    expect(testFiles).toEqual(ruleFiles);
  });

  for (const rule of rules.values()) {
    const { meta } = rule;
    it(`${meta.id}: complete metadata`, () => {
      expect(meta.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/);
      expect(CATEGORIES).toContain(meta.category);
      expect(['error', 'warning', 'info']).toContain(meta.severity);
      expect(meta.description).toMatch(/^[A-Z`].*\.$/);
      expect(meta.rationale.length).toBeGreaterThan(80);
      expect(meta.fix).toMatch(/^[A-Z`].*\.$/);
      expect(meta.references.length).toBeGreaterThan(0);
      for (const ref of meta.references) expect(ref).toMatch(/^(RFC \d+( §[\d.]+)?|Postfix [\w ()]+)$/);
      // Every rule runs in some set: nothing in the catalogue is off by default.
      expect(meta.sets.length).toBeGreaterThan(0);
      expect(Object.keys(meta.messages).length).toBeGreaterThan(0);
    });

    it(`${meta.id}: every message id is exercised by its test file`, () => {
      const tests = readFileSync(new URL(`test/lint/rules/${meta.id}.test.ts`, root), 'utf8');
      for (const messageId of Object.keys(meta.messages)) expect(tests).toContain(`messageId: '${messageId}'`);
    });
  }

  it('keeps docs/rules.md equal to the generated reference, examples included (run `npm run docs`)', async () => {
    const rendered = renderRuleDocs(await ruleExamples(cases));
    // `npm run docs` runs this test with MXPLAN_WRITE_DOCS=1 to write the page.
    if (process.env.MXPLAN_WRITE_DOCS === '1') writeFileSync(new URL('docs/rules.md', root), rendered);
    expect(readFileSync(new URL('docs/rules.md', root), 'utf8')).toBe(rendered);
    for (const id of rules.keys()) expect(rendered).toContain(`## ${id}\n`);
  });

  it('leaves the base test topology clean under every rule, strict ones included', async () => {
    const findings = lint(await planOf(topology()), { strict: true });
    expect(findings.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});

describe('the checks of the input', () => {
  // The ids findings carry outside the rule files: `rule: 'users-csv'`, or a module's `RULE = 'topology-schema'`.
  const sources = (dir: URL): string[] =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((f) => f.isFile() && f.name.endsWith('.ts'))
      .map((f) => readFileSync(new URL(`${f.parentPath}/${f.name}`, 'file://'), 'utf8'));
  const emitted = new Set(
    sources(new URL('src/', root))
      .flatMap((text) => [...text.matchAll(/\b(?:rule: |RULE = )'([a-z0-9-]+)'/g)].map((m) => m[1]!))
      .filter((id) => !rules.has(id)),
  );

  it('are the ids that findings carry outside the rule files, each registered once', () => {
    expect([...emitted].sort()).toEqual([...loaderChecks.keys()].sort());
    for (const id of loaderChecks.keys()) expect(rules.has(id)).toBe(false);
  });

  it('are in the catalogue beside the rules, which is sorted by id', () => {
    const ids = [...catalogue.keys()];
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining([...loaderChecks.keys(), ...rules.keys()]));
    expect(ids).toHaveLength(loaderChecks.size + rules.size);
  });

  for (const check of loaderChecks.values()) {
    it(`${check.id}: complete metadata`, () => {
      expect(check.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/);
      expect(check.severity).toBe('error');
      expect(check.description).toMatch(/^[A-Z`].*\.$/);
      expect(check.rationale.length).toBeGreaterThan(80);
      expect(check.fix).toMatch(/^[A-Z`].*\.$/);
      expect(check.references.length).toBeGreaterThan(0);
    });
  }
});
