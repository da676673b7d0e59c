/**
 * How long `mxplan verify --lab` takes on the building example with each MTA (mxplan's relays,
 * then Postfix and Dovecot), against the loopback sandbox measured in the same run: what the
 * namespaces, the real daemons and the read scenario cost over the relays on loopback. Each
 * verify runs in a fresh process, the way a person runs it, `--runs` times (default 3); the
 * median is printed. Needs Linux and root (the lab), and Debian's postfix, dovecot and the name
 * server daemons installed (.ci/run installs them); off that, it says why and measures nothing.
 * Its probe, `mxplan sandbox --lab --cleanup`, removes only labs whose process is gone.
 *
 *   npm run build && node bench/lab.mjs [--runs 3] [--dns builtin|bind|nsd|knot]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mxplan = join(root, 'bin', 'mxplan.js');
const file = join(root, 'examples', 'building', 'topology.yaml');
const flag = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const runs = Number(flag('--runs', '3'));
const dns = flag('--dns', 'builtin');

const labCheck = spawnSync(process.execPath, [mxplan, 'sandbox', '--lab', '--cleanup'], { encoding: 'utf8' });
if (labCheck.status !== 0) {
  console.log(`not measured: the lab cannot run here (${labCheck.stderr.trim()})`);
  process.exit(0);
}

const columns = [
  { name: 'loopback sandbox', args: [] },
  { name: `lab builtin/${dns}`, args: ['--lab', '--mta', 'builtin', '--dns', dns] },
  { name: `lab postfix/${dns}`, args: ['--lab', '--mta', 'postfix', '--dns', dns] },
];

function verify(args) {
  const started = performance.now();
  const out = execFileSync(process.execPath, [mxplan, 'verify', file, '--format', 'json', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'ignore'], // verify's progress lines would bury the table
  });
  const seconds = (performance.now() - started) / 1000;
  const report = JSON.parse(out);
  if (!report.passed) throw new Error(`verify ${args.join(' ')} did not pass`);
  return { seconds, engine: report.engine, scenarios: report.scenarios };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const rows = [];
// Interleaved, so that a slow minute on the machine falls on every column alike.
const samples = columns.map(() => []);
for (let i = 0; i < runs; i++) for (const [c, column] of columns.entries()) samples[c].push(verify(column.args));
for (const [c, column] of columns.entries()) {
  const seconds = median(samples[c].map((s) => s.seconds));
  const perScenario = samples[c][0].scenarios.map((s) => ({
    name: s.name,
    seconds: median(samples[c].map((run) => run.scenarios.find((t) => t.name === s.name).durationMs / 1000)),
    skipped: s.skipped > 0 && s.passed === 0,
  }));
  rows.push({ name: column.name, engine: samples[c][0].engine, seconds, perScenario });
}

const reference = rows[0].seconds;
console.log(`examples/building, median of ${runs} runs each\n`);
console.log('engine                     verify s   × loopback');
for (const r of rows)
  console.log(
    `${r.name.padEnd(24)} ${r.seconds.toFixed(1).padStart(10)} ${(r.seconds / reference).toFixed(2).padStart(12)}`,
  );
console.log('\nper scenario (s; "-" skipped: no mailbox server to read from):');
for (const r of rows)
  console.log(
    `${r.name.padEnd(24)} ${r.perScenario.map((s) => `${s.name} ${s.skipped ? '-' : s.seconds.toFixed(1)}`).join('  ')}`,
  );
console.log('\nengines:');
for (const r of rows) console.log(`  ${r.name}: ${r.engine}`);
