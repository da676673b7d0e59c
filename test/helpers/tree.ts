/** A directory's files by relative path (as `mxplan mta` and `mxplan zones` write trees), read as text. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path.slice(dir.length + 1), await readFile(path, 'utf8'));
    }
  return files;
}
