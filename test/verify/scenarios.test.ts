/**
 * Meta-tests that keep the scenario list honest: names.ts declares the order once, the runner
 * runs exactly those scenarios in that order, each taken from the file named after it, and no
 * scenario borrows from another (shared helpers live in probes.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/verify/context.js';
import { SCENARIO_NAMES } from '../../src/verify/names.js';
import { SCENARIOS } from '../../src/verify/run.js';

const root = new URL('../../', import.meta.url);
const files = readdirSync(new URL('src/verify/scenarios/', root))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

/** Scenarios of two plans, which `verify --from` runs instead of the others: made per migration. */
const MIGRATION = ['migration'];

describe('the verify scenarios', () => {
  it('run in the order names.ts declares', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
  });

  it('are exactly the files in src/verify/scenarios', () => {
    expect([...files].sort()).toEqual([...SCENARIO_NAMES, ...MIGRATION].sort());
  });

  it.each(files.filter((f) => !MIGRATION.includes(f)))(
    '%s: the runner takes the scenario its file exports, and it imports no sibling',
    async (name) => {
      const module = (await import(new URL(`src/verify/scenarios/${name}.ts`, root).href)) as Record<string, unknown>;
      const exported = Object.values(module).filter(
        (v): v is Scenario => typeof v === 'object' && v !== null && 'run' in v,
      );
      expect(exported.map((s) => s.name)).toEqual([name]);
      expect(SCENARIOS.find((s) => s.name === name)).toBe(exported[0]);
      const source = readFileSync(new URL(`src/verify/scenarios/${name}.ts`, root), 'utf8');
      expect(source.match(/from '\.\/[^']+'/g) ?? []).toEqual([]);
    },
  );

  it.each(MIGRATION)(
    '%s: its file exports the scenario for a plan to switch to, and it imports no sibling',
    async (name) => {
      const module = (await import(new URL(`src/verify/scenarios/${name}.ts`, root).href)) as Record<string, unknown>;
      expect(typeof module[`${name}Scenario`]).toBe('function');
      const source = readFileSync(new URL(`src/verify/scenarios/${name}.ts`, root), 'utf8');
      expect(source.match(/from '\.\/[^']+'/g) ?? []).toEqual([]);
    },
  );
});
