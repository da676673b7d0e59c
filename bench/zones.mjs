/**
 * Zone generation time for the lint benchmark's synthetic plans, next to the time BIND needs to
 * load the same files, measured in one run:
 * - generate: deriveZones + writing the zone directory (with named.conf), in a fresh process;
 *   loading and linting the topology is shown apart (bench/lint.mjs measures it);
 * - named-checkzone: the strict run of the tests (-i local -k fail -m fail -M fail -n fail
 *   -S fail) on every zone, one process per zone, as many at a time as there are cores;
 * - named-checkconf -z: one process loading every zone through the generated named.conf.
 * "ratio" is generate time over named-checkzone time: below 1, mxplan writes the zones faster
 * than BIND can check them.
 *
 *   npm run build && node bench/zones.mjs [--sizes 1000x100,10000x100]
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticTopology } from './synthetic.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const STRICT = ['-i', 'local', '-k', 'fail', '-m', 'fail', '-M', 'fail', '-n', 'fail', '-S', 'fail'];

if (process.argv[2] === '--child') {
  const [{ checkTopology, hasErrors }, { deriveZones }, { writeZoneDirectory }] = await Promise.all([
    import('../dist/lint/check.js'),
    import('../dist/dns/derive.js'),
    import('../dist/dns/zone-dir.js'),
  ]);
  const [file, out] = process.argv.slice(3);
  const t0 = performance.now();
  const { plan, findings } = await checkTopology(file);
  if (!plan || hasErrors(findings))
    throw new Error(`synthetic plan is not lint-clean: ${findings.find((f) => f.severity === 'error')?.message}`);
  const t1 = performance.now();
  const zones = deriveZones(plan);
  const t2 = performance.now();
  await writeZoneDirectory(zones, { out, servers: ['bind'], source: 'topology.yaml' });
  const t3 = performance.now();
  const records = zones.reduce((n, z) => n + z.records.length, 0);
  process.stdout.write(
    JSON.stringify({
      load: t1 - t0,
      derive: t2 - t1,
      write: t3 - t2,
      zones: zones.length,
      records,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
  process.exit(0);
}

function run(command, args) {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 1 << 26 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** named-checkzone on every zone file, `parallel` at a time; wall time and the failures. */
async function checkEveryZone(dir, parallel) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.zone'));
  const failures = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < files.length) {
        const file = files[next++];
        const origin = file.slice(0, -'.zone'.length);
        const { code, output } = await run('named-checkzone', [...STRICT, origin, join(dir, file)]);
        if (code !== 0 || !output.endsWith('OK\n') || output.includes('warning'))
          failures.push(`${origin}: ${output.trim()}`);
      }
    }),
  );
  return { ms: performance.now() - t0, files: files.length, failures };
}

async function directoryBytes(dir) {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

const sizesArg = process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1] : '10000x100';
const sizes = sizesArg
  .split(',')
  .map((s) => s.split('x').map(Number))
  .map(([domains, usersPerDomain]) => ({ domains, usersPerDomain }));
const parallel = availableParallelism();

console.log(`named-checkzone runs ${parallel} at a time (one per core)\n`);
console.log(
  'domains  users      zones   records   MiB   load ms  derive ms  write ms  generate ms  named-checkzone ms  named-checkconf -z ms  ratio',
);
for (const size of sizes) {
  const dir = await mkdtemp(join(tmpdir(), 'mxplan-bench-zones-'));
  try {
    const file = await writeSyntheticTopology(dir, size);
    const out = join(dir, 'zones');
    const r = JSON.parse(
      execFileSync(process.execPath, ['--max-old-space-size=8192', join(here, 'zones.mjs'), '--child', file, out], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      }),
    );
    const generate = r.derive + r.write;
    const checkzone = await checkEveryZone(out, parallel);
    if (checkzone.failures.length > 0)
      throw new Error(`named-checkzone refused ${checkzone.failures.length} zones, first: ${checkzone.failures[0]}`);
    const t0 = performance.now();
    const conf = await run('named-checkconf', ['-z', join(out, 'named.conf')]);
    const checkconf = performance.now() - t0;
    if (conf.code !== 0) throw new Error(`named-checkconf -z failed: ${conf.output.slice(0, 500)}`);
    const mib = (await directoryBytes(out)) / (1 << 20);
    console.log(
      [
        String(size.domains).padEnd(8),
        String(size.domains * size.usersPerDomain).padEnd(10),
        String(r.zones).padStart(6),
        String(r.records).padStart(9),
        mib.toFixed(1).padStart(5),
        r.load.toFixed(0).padStart(9),
        r.derive.toFixed(0).padStart(10),
        r.write.toFixed(0).padStart(9),
        generate.toFixed(0).padStart(12),
        checkzone.ms.toFixed(0).padStart(19),
        checkconf.toFixed(0).padStart(22),
        (generate / checkzone.ms).toFixed(3).padStart(6),
      ].join(' '),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
