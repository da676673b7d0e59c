/** Runs the built CLI (dist/, built by `npm test`) as a user would, and captures what it says. */
import { execFile } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'mxplan.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function mxplan(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * A copy of an example (with its users files) in a temporary directory, edited by `edit`
 * (removed by `removeTempDirs`, see temp.ts).
 * Returns the copy's topology path and its text, to compute expected line numbers from.
 */
export async function brokenCopy(
  example: string,
  edit: (text: string) => string,
  others: Readonly<Record<string, (text: string) => string>> = {},
): Promise<{ file: string; text: string; dir: string }> {
  const source = join(ROOT, 'examples', example);
  const dir = await tempDir(example);
  await cp(source, dir, { recursive: true });
  const file = join(dir, 'topology.yaml');
  const text = await editFile(file, edit);
  for (const [name, editOther] of Object.entries(others)) await editFile(join(dir, name), editOther);
  return { file, text, dir };
}

async function editFile(file: string, edit: (text: string) => string): Promise<string> {
  const original = await readFile(file, 'utf8');
  const text = edit(original);
  if (text === original) throw new Error(`the edit changed nothing in ${file}`);
  await writeFile(file, text);
  return text;
}

/** 1-based line of the first line containing `needle` (after line `after`). */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n');
  for (let i = after; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`"${needle}" not found`);
}

export { dirname };
