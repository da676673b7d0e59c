/**
 * External tools in tests. A test that needs one calls `requireTool(name)`: true when the tool is
 * on PATH; when it is missing, false outside CI (the test is skipped) and an error under CI
 * (`process.env.CI` set), so CI can never pass without running the check.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function requireTool(name: string): boolean {
  if (onPath(name)) return true;
  if (process.env.CI) throw new Error(`${name} is required under CI but is not on PATH (see .ci/run)`);
  return false;
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
