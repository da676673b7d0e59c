/** Runs the built CLI (dist/, built by `npm test`) as a user would, and captures what it says. */
import { spawn } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'mxplan.js');

export interface CliResult {
  /** The exit status; null when a signal ended the process. */
  readonly code: number | null;
  /** The signal that ended the process (SIGPIPE after a closed output), or null. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to standard input, which then closes (default: nothing, closed at once). */
  readonly input?: string;
  /** Close the reading end of stdout before mxplan writes anything, as `| head` does early. */
  readonly closeStdout?: boolean;
}

export function mxplan(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {}); // mxplan may exit before reading all of it
    child.stdin.end(options.input ?? '');
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
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

/**
 * An example's topology text with one more rule level under its `lint.rules` (the examples set
 * rules of their own, so a second `lint:` key would be a duplicate).
 */
export function withLintRule(text: string, id: string, level: string): string {
  const block = '\nlint:\n  rules:\n';
  if (!text.includes(block)) throw new Error('the topology has no lint.rules block to add to');
  return text.replace(block, `${block}    ${id}: ${level}\n`);
}

/** 1-based line of the first line containing `needle` (after line `after`). */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n');
  for (let i = after; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`"${needle}" not found`);
}

export { dirname };
