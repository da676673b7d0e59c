import { isAbsolute, relative, sep } from 'node:path';

/** A path as a person in `cwd` would type it, with forward slashes (SARIF and GitHub want them too). */
export function displayPath(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return (rel.startsWith('..') || rel === '' ? file : rel).split(sep).join('/');
}
