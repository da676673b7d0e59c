/**
 * Load + lint time and peak memory for synthetic plans of growing size, each measured in a
 * fresh process (so peak RSS belongs to that size alone). Cost should grow linearly: the
 * "per 1k users" column should stay flat.
 *
 *   npm run build && node bench/lint.mjs [--sizes 100x100,1000x100,10000x100]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticTopology } from './synthetic.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--child') {
  const [{ loadPlan }, { lint }] = await Promise.all([
    import('../dist/topology/load.js'),
    import('../dist/lint/run.js'),
  ]);
  const t0 = performance.now();
  const { plan, findings: loadFindings } = await loadPlan(process.argv[3]);
  const t1 = performance.now();
  const findings = lint(plan);
  const t2 = performance.now();
  const errors = [...loadFindings, ...findings].filter((f) => f.severity === 'error');
  process.stdout.write(
    JSON.stringify({
      load: t1 - t0,
      lint: t2 - t1,
      errors: errors.length,
      first: errors[0]?.message,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
  process.exit(0);
}

const sizesArg = process.argv.includes('--sizes')
  ? process.argv[process.argv.indexOf('--sizes') + 1]
  : '1000x100,10000x100';
const sizes = sizesArg
  .split(',')
  .map((s) => s.split('x').map(Number))
  .map(([domains, usersPerDomain]) => ({ domains, usersPerDomain }));

console.log('domains   users      load ms   lint ms   total ms   per 1k users   peak RSS');
for (const size of sizes) {
  const dir = await mkdtemp(join(tmpdir(), 'mxplan-bench-'));
  try {
    const file = await writeSyntheticTopology(dir, size);
    const out = execFileSync(process.execPath, ['--max-old-space-size=8192', join(here, 'lint.mjs'), '--child', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const r = JSON.parse(out);
    if (r.errors > 0) throw new Error(`synthetic plan is not lint-clean: ${r.errors} errors, first: ${r.first}`);
    const users = size.domains * size.usersPerDomain;
    const total = r.load + r.lint;
    console.log(
      `${String(size.domains).padEnd(9)} ${String(users).padEnd(10)} ${r.load.toFixed(0).padStart(7)}   ${r.lint.toFixed(0).padStart(7)}   ${total.toFixed(0).padStart(8)}   ${((total / users) * 1000).toFixed(2).padStart(12)}   ${(r.maxRssKiB / 1024).toFixed(0)} MiB`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
