/**
 * Golden trees, in the manner of dnscontrol's numbered fixtures: the expected files of a case,
 * by relative path, compared with what the code writes now. On a mismatch `<file>.actual` lands
 * next to the expected file, to diff; UPDATE_GOLDEN=1 accepts the new output instead, and is
 * refused under CI, where a golden file is a check and never a recording.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = posix.join(prefix, entry.name);
    if (entry.isDirectory()) names.push(...(await filesUnder(join(dir, entry.name), name)));
    else names.push(name);
  }
  return names;
}

/**
 * Problems, one line each; none when `dir` holds exactly `actual` (relative path to text) among
 * its files that `owns` claims (all by default: a case directory holds other outputs beside).
 */
export async function compareGolden(
  dir: string,
  actual: ReadonlyMap<string, string>,
  owns: (name: string) => boolean = () => true,
): Promise<string[]> {
  const update = process.env.UPDATE_GOLDEN === '1';
  if (update && process.env.CI) throw new Error('UPDATE_GOLDEN is not allowed under CI');
  const problems: string[] = [];
  const expected = (await filesUnder(dir)).filter(owns);
  for (const name of expected.filter((n) => n.endsWith('.actual'))) await rm(join(dir, name));
  for (const name of expected.filter((n) => !n.endsWith('.actual') && !actual.has(n))) {
    if (update) await rm(join(dir, name));
    else problems.push(`${name}: expected, but no longer generated`);
  }
  for (const [name, text] of actual) {
    const path = join(dir, name);
    const want = existsSync(path) ? await readFile(path, 'utf8') : undefined;
    if (want === text) continue;
    await mkdir(dirname(path), { recursive: true });
    if (update) {
      await writeFile(path, text);
    } else {
      await writeFile(`${path}.actual`, text);
      problems.push(`${name}: ${want === undefined ? 'not in the golden set' : 'differs'}; see ${path}.actual`);
    }
  }
  return problems;
}
