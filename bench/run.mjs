/**
 * `npm run bench`: every benchmark in turn, or the ones named (`npm run bench -- lint dns`).
 * Each prints its own figures next to a reference measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const all = ['lint', 'zones', 'dns', 'smtp', 'verify', 'lab'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = false;
for (const name of chosen) {
  const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(script)) {
    if (process.argv.slice(2).length) (console.error(`no benchmark named ${name}`), (failed = true));
    continue;
  }
  console.log(`\n## ${name}\n`);
  const { status } = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
