/**
 * README's Layout block is the map a newcomer reads first: it names every folder of the
 * repository and every folder of src/, so a folder added without a line there fails here.
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
