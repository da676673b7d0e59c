/**
 * The import graph keeps its floors: commands import what they share from leaf modules, never
 * program.ts or each other (no circle); lint does not import its consumer, the reporters; and
 * library code says what happened without naming a command-line flag or throwing a UsageError,
 * which are the CLI's to choose.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SRC = join(ROOT, 'src');

const modules = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ name: name.split('\\').join('/'), text: readFileSync(join(SRC, name), 'utf8') }));

/** The src modules a module imports, statically or lazily, by path under src/. */
function importsOf(module: { name: string; text: string }): string[] {
  return [...module.text.matchAll(/(?:from |import\()\s*'(\.[^']+)'/g)].map((m) =>
    relative(SRC, resolve(dirname(join(SRC, module.name)), m[1]!.replace(/\.js$/, '.ts'))),
  );
}

const library = modules.filter((m) => !m.name.startsWith('cli/'));

describe('the layers of src', () => {
  it('has no CLI module but main.ts import program.ts, and no command import another', () => {
    const offending = modules
      .filter((m) => m.name.startsWith('cli/') && m.name !== 'cli/main.ts')
      .flatMap((m) =>
        importsOf(m)
          .filter((to) => to === 'cli/program.ts' || (to.startsWith('cli/commands/') && m.name !== 'cli/program.ts'))
          .map((to) => `${m.name} -> ${to}`),
      );
    expect(offending).toEqual([]);
  });

  it('keeps lint below the reporters', () => {
    const offending = modules
      .filter((m) => m.name.startsWith('lint/'))
      .flatMap((m) =>
        importsOf(m)
          .filter((to) => to.startsWith('report/'))
          .map((to) => `${m.name} -> ${to}`),
      );
    expect(offending).toEqual([]);
  });

  // errors.ts defines it.
  const KNOWN = new Set(['errors.ts']);

  it('leaves UsageError to the CLI', () => {
    const offending = library.filter((m) => /\bUsageError\b/.test(m.text) && !KNOWN.has(m.name)).map((m) => m.name);
    expect(offending).toEqual([]);
  });

  it('names no command-line flag in what library code says (the rule docs describe the CLI and may)', () => {
    const offending = library
      // The rule docs and the generated configuration's README describe the CLI to a person, and may;
      // the lab's Postfix module runs Dovecot, whose version has no flag but its long one.
      .filter((m) => m.name !== 'lint/docs.ts' && m.name !== 'mta/readme.ts' && m.name !== 'lab/postfix.ts')
      .flatMap((m) =>
        m.text
          .split('\n')
          .map((line, i) => ({ line, at: `${m.name}:${i + 1}` }))
          .filter(({ line }) => !/^\s*(\*|\/\/|\/\*)/.test(line) && /['`"][^'`"]*(?<![\w-])--[a-z][a-z-]+/.test(line)),
      )
      .map(({ at }) => at);
    expect(offending).toEqual([]);
  });
});
