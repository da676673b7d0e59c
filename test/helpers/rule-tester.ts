/**
 * Valid/invalid case tables for one rule, in the manner of ESLint's RuleTester: a valid case
 * yields no finding from the rule; an invalid case yields exactly the listed findings, matched
 * by message id and JSON pointer (never by message text).
 */
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/run.js';
import type { Rule } from '../../src/lint/rule.js';
import { planOf, type TestFile, type TopologyDoc } from './topology.js';

export interface RuleCase {
  readonly name: string;
  readonly topology: TopologyDoc | string;
  /** Sibling files (users CSVs, DKIM keys) by the name the topology gives. */
  readonly files?: Record<string, TestFile>;
}

export interface InvalidCase extends RuleCase {
  readonly errors: readonly { readonly messageId: string; readonly path?: string; readonly line?: number }[];
}

export interface RuleCases {
  readonly valid: readonly RuleCase[];
  readonly invalid: readonly InvalidCase[];
}

let collected: Map<string, RuleCases> | undefined;

/**
 * The case tables of rule test files, by rule id, without running them: the docs take their
 * examples from them (see rule-examples.ts). `load` imports the test files.
 */
export async function collectRuleCases(load: () => Promise<unknown>): Promise<ReadonlyMap<string, RuleCases>> {
  const cases = (collected = new Map());
  try {
    await load();
  } finally {
    collected = undefined;
  }
  return cases;
}

export function testRule(rule: Rule, cases: RuleCases): void {
  if (collected) return void collected.set(rule.meta.id, cases);
  describe(rule.meta.id, () => {
    it('has at least one valid and one invalid case', () => {
      expect(cases.valid.length).toBeGreaterThan(0);
      expect(cases.invalid.length).toBeGreaterThan(0);
    });
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, async () => {
        const findings = lint(await planOf(c.topology, c.files), { only: [rule.meta.id] });
        expect(findings.map((f) => f.message)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, async () => {
        const findings = lint(await planOf(c.topology, c.files), { only: [rule.meta.id] });
        const got = findings.map((f, i) => ({
          messageId: f.messageId,
          ...(c.errors[i]?.path !== undefined ? { path: f.location.path } : {}),
          ...(c.errors[i]?.line !== undefined ? { line: f.location.line } : {}),
        }));
        expect(got).toEqual(c.errors.map((e) => ({ ...e })));
        for (const f of findings) {
          expect(f.message).not.toMatch(/\{\w+\}/); // every placeholder was filled
          expect(f.location.line).toBeGreaterThan(0);
        }
      });
    }
  });
}
