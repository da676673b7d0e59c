/**
 * External tools in tests. A test that needs one calls `requireTool(name)`: true when the tool is
 * on PATH; when it is missing, false outside CI (the test is skipped) and an error under CI
 * (`process.env.CI` set), so CI can never pass without running the check.
 */
import { spawnSync } from 'node:child_process';
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

/**
 * A Python 3 interpreter that can import `module` (a Debian python3-* package lives in the
 * system's /usr/bin/python3, which another python3 earlier on PATH may shadow): its path, or,
 * when there is none, undefined outside CI and an error under CI (as requireTool).
 */
export function requirePythonModule(module: string): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const run = spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    if (run.status === 0) return python;
  }
  if (process.env.CI) throw new Error(`python3 with ${module} is required under CI but missing (see .ci/run)`);
  return undefined;
}
