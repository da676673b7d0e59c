/**
 * The sandbox's own JSON files in the state directory (ports.json, passwords.json): read whole,
 * undefined when there is none yet, a ResourceError naming the file when it is not JSON.
 */
import { readFile } from 'node:fs/promises';
import { ResourceError } from '../errors.js';

export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    // No file, or no directory to hold one (a state path that is a file is the sandbox's to report).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ResourceError(`${file}: not JSON (${(error as Error).message})`);
  }
}
