/**
 * The engine contract as an import graph, read by TypeScript's own pre-processor (static imports,
 * re-exports, `import type` and dynamic `import()` alike): verify sees a running plan only
 * through src/sandbox/engine.ts, so any engine can stand behind it; the contract itself names
 * nothing of an engine; the CLI reaches the relays only through the sandbox.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every .ts file under a folder of the repository, as repository paths ("src/verify/run.ts"). */
function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(folder, f))
    .sort();
}

/** The repository files a source file imports (packages and node: builtins left out). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)).replace(/\.js$/, '.ts'));
}

/** Every repository file reachable from `start` through imports, `start` excluded. */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = importsOf(start);
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...importsOf(file));
  }
  return seen;
}

const CONTRACT = 'src/sandbox/engine.ts';
const LAYOUT = 'src/state-layout.ts';
const within = (folder: string) => (file: string) => file.startsWith(`${folder}/`);
/** A shared leaf module directly under src/ (parallel.ts, errors.ts): it belongs to no engine. */
const sharedLeaf = (file: string) => /^src\/[^/]+\.ts$/.test(file);
const engineInternals = (file: string) =>
  within('src/mail')(file) || within('src/routing')(file) || (within('src/sandbox')(file) && file !== CONTRACT);

describe('the engine contract in the import graph', () => {
  it('finds the imports it checks (the reader is not blind)', () => {
    expect(importsOf('src/verify/run.ts')).toEqual(expect.arrayContaining([CONTRACT, 'src/verify/harness.ts']));
    expect(importsOf('src/cli/commands/verify.ts')).toContain('src/sandbox/sandbox.ts');
    expect(reachable('src/sandbox/sandbox.ts')).toContain('src/mail/relay.ts');
  });

  it.each(filesUnder('src/verify'))('%s imports only verify, the topology, the contract and shared leaves', (file) => {
    const allowed = (f: string) =>
      within('src/verify')(f) || within('src/topology')(f) || f === CONTRACT || sharedLeaf(f);
    expect(importsOf(file).filter((f) => !allowed(f))).toEqual([]);
    expect([...reachable(file)].filter(engineInternals)).toEqual([]);
  });

  it('the contract and the state layout name nothing but the plan (its types, their source locations)', () => {
    const plan = (f: string) => within('src/topology')(f) || f === 'src/diagnostics.ts';
    for (const file of [CONTRACT, LAYOUT]) {
      expect(importsOf(file).filter((f) => !within('src/topology')(f))).toEqual([]);
      expect([...reachable(file)].filter((f) => !plan(f))).toEqual([]);
    }
  });

  it.each(filesUnder('src/cli'))('%s imports nothing of src/mail or src/routing', (file) => {
    expect(importsOf(file).filter((f) => within('src/mail')(f) || within('src/routing')(f))).toEqual([]);
  });
});
