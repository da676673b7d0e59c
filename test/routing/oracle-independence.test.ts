/**
 * Verify's oracle works out what the plan promises from the plan alone: if it shared the routing
 * layer with the relays, a routing bug would make both agree. No file of src/verify may import
 * src/routing, directly or through any module but the engine it runs (src/sandbox, src/mail: the
 * relays read the routing layer by design, and verify sees them only as a running plan).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SRC = join(ROOT, 'src');
const ENGINE = [join(SRC, 'sandbox'), join(SRC, 'mail')];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The project files a source file imports (type-only imports included: they shape the code too). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) =>
    resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')),
  );
}

it('no file of src/verify reaches src/routing', () => {
  const reached = new Map<string, string>(); // file -> the verify file it was reached from
  const pending = sources(join(SRC, 'verify')).map((f) => [f, f] as const);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [file, from] = next;
    if (reached.has(file)) continue;
    reached.set(file, from);
    if (ENGINE.some((dir) => file.startsWith(dir))) continue;
    for (const target of imports(file)) pending.push([target, from]);
  }
  const routing = [...reached].filter(([file]) => file.startsWith(join(SRC, 'routing')));
  expect(routing.map(([file, from]) => `${relative(ROOT, from)} -> ${relative(ROOT, file)}`)).toEqual([]);
  // the walk did reach beyond src/verify (it follows imports at all)
  expect([...reached.keys()].some((f) => f.startsWith(join(SRC, 'topology')))).toBe(true);
});
