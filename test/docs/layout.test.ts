/**
 * README's Layout block is the map a newcomer reads first: it names every folder of the
 * repository and every folder of src/, so a folder added without a line there fails here. And
 * the code points a reader only at what the repository holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const layout = /^## Layout\n+```\n([\s\S]*?)^```$/m.exec(readme)?.[1] ?? '';
/** The first word of each line of the block: a path ("src/cli/", "bin/mxplan.js"). */
const listed = new Set(layout.split('\n').map((line) => line.split(/\s+/)[0]!));

/** Folders git keeps: what .gitignore names as a folder (`dist/`, `/tmp/`) and .git are left out. */
const ignored = new Set([
  '.git',
  ...readFileSync(join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .filter((line) => /^\/?[^*/\s]+\/$/.test(line))
    .map((line) => line.replace(/^\/|\/$/g, '')),
]);
const folders = (dir: string) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !ignored.has(entry.name))
    .map((entry) => `${dir ? `${dir}/` : ''}${entry.name}`)
    .sort();
/** A folder is listed as itself ("src/cli/"), or by a file in it ("bin/mxplan.js", ".ci/run"). */
const mentions = (folder: string) => [...listed].some((path) => path.startsWith(`${folder}/`));

describe("README's layout", () => {
  it('is there to check', () => {
    expect(listed.size).toBeGreaterThan(10);
  });

  it('lists every folder of the repository', () => {
    expect(folders('').filter((folder) => !mentions(folder))).toEqual([]);
  });

  it('lists every folder of src/', () => {
    expect(folders('src').filter((folder) => !listed.has(`${folder}/`))).toEqual([]);
  });
});

describe('what the code points at', () => {
  /** The project's guides and notes outside the repository: a reader of the code has none of them. */
  const OUTSIDE = /next-wave|research\/|\.\.\/shared|\/work\/shared|DESIGN\.md|STYLE\.md/;
  const sources = ['src', 'test', 'bench'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.(ts|mjs|js)$/.test(name))
      .map((name) => `${dir}/${name}`),
  );

  it('is inside the repository: no comment names a file outside it', () => {
    const self = 'test/docs/layout.test.ts';
    const offending = sources
      .filter((file) => file !== self)
      .flatMap((file) =>
        readFileSync(join(ROOT, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (OUTSIDE.test(line) ? [`${file}:${i + 1}`] : [])),
      );
    expect(sources.length).toBeGreaterThan(100);
    expect(offending).toEqual([]);
  });
});
