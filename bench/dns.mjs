/**
 * Queries per second of mxplan's responder next to NSD and BIND's named, in one run, with the
 * same zones and the same queries: a dnsperf comparison in the way the three servers are usually
 * compared, so the figures can stand beside published ones.
 *
 * - zones: every zone of examples/{name}/topology.yaml (the first example wins a shared zone),
 *   written by mxplan's own zone writer; NSD and named load those files, mxplan serves the
 *   same records from memory;
 * - queries: 10,000 deterministic lines in the anchors' mix: 20% MX of mail domains, 20% A and
 *   15% AAAA of their MX targets, 15% TXT (SPF, DMARC), 15% other existing records (NS, PTR, A
 *   of name servers...), 15% names that do not exist;
 * - load: `dnsperf -l SECONDS -c 4 -T 1` (100 queries in flight), servers one at a time on
 *   127.0.0.1, each checked with dig first; the runs are interleaved (run 1 of every server,
 *   then run 2...) and the median is reported;
 * - server CPU: utime+stime of the server's process tree over the run, per answered query;
 * - profiles: `--cpu-prof DIR` runs mxplan's processes with `node --cpu-prof` into DIR (one
 *   .cpuprofile per process, written when the server stops).
 * Only loopback is used. Every server is stopped by its PID when its run ends. The machine's
 * load average is printed before and after: on a shared machine only the ratios of one run
 * compare.
 *
 *   npm run build && node bench/dns.mjs [--seconds 10] [--runs 3] [--only mxplan,nsd,named] [--cpu-prof DIR]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../test/helpers/seeded-random.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const SERIAL = 2026010100;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Every zone of the examples, union by origin (the first example wins). */
async function exampleZones() {
  const [{ loadPlan }, { deriveZones }] = await Promise.all([
    import('../dist/topology/load.js'),
    import('../dist/dns/derive.js'),
  ]);
  const examples = (await readdir(join(root, 'examples'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const zones = new Map();
  const skipped = [];
  for (const example of examples) {
    const { plan } = await loadPlan(join(root, 'examples', example, 'topology.yaml'));
    if (!plan) throw new Error(`examples/${example} does not load`);
    for (const zone of deriveZones(plan, { serial: SERIAL })) {
      if (zones.has(zone.origin)) skipped.push(`${zone.origin} (${example})`);
      else zones.set(zone.origin, zone);
    }
  }
  return { examples, zones: [...zones.values()], skipped };
}

if (process.argv.includes('--help')) {
  console.log(
    'usage: node bench/dns.mjs [--seconds 10] [--runs 3] [--only mxplan,mxplan-2,nsd,named] [--cpu-prof DIR]',
  );
  process.exit(0);
}

// Child mode: serve the example zones with mxplan (node:cluster re-runs this file in workers).
if (process.argv[2] === '--serve') {
  const { startDnsCluster } = await import('../dist/dns/cluster.js');
  const [port, workers] = process.argv.slice(3).map(Number);
  const server = await startDnsCluster({
    workers,
    address: '127.0.0.1',
    port,
    loadZones: async () => (await exampleZones()).zones,
  });
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await server.closed;
  process.exit(0);
}

function queryFile(zones, count = 10_000) {
  const records = zones.flatMap((z) => z.records);
  const of = (type) => records.filter((r) => r.type === type);
  const mailDomains = zones
    .filter((z) => z.kind === 'domain' && z.records.some((r) => r.type === 'MX' && r.name === z.origin))
    .map((z) => z.origin);
  const targets = [
    ...new Set(
      of('MX')
        .map((r) => r.data.exchange)
        .filter(Boolean),
    ),
  ];
  const withA = new Set(of('A').map((r) => r.name));
  const withAAAA = new Set(of('AAAA').map((r) => r.name));
  const aTargets = targets.filter((t) => withA.has(t));
  const aaaaTargets = targets.filter((t) => withAAAA.has(t));
  const txt = of('TXT').map((r) => r.name);
  const other = records.filter((r) => !['MX', 'TXT', 'SOA'].includes(r.type)).map((r) => `${r.name} ${r.type}`);
  const next = seededRandom(0xd15); // the query file is the same on every run
  const pick = (items) => items[Math.floor(next() * items.length)];
  const lines = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r < 0.2) lines.push(`${pick(mailDomains)} MX`);
    else if (r < 0.4) lines.push(`${pick(aTargets)} A`);
    else if (r < 0.55) lines.push(`${pick(aaaaTargets.length ? aaaaTargets : aTargets)} AAAA`);
    else if (r < 0.7) lines.push(`${pick(txt)} TXT`);
    else if (r < 0.85) lines.push(pick(other));
    else lines.push(`nx${String(Math.floor(next() * 1e6)).padStart(6, '0')}.${pick(mailDomains)} A`);
  }
  return `${lines.join('\n')}\n`;
}

function nsdConf(dir, port, zones) {
  return [
    'server:',
    `  ip-address: 127.0.0.1@${port}`,
    '  do-ip6: no',
    '  server-count: 1',
    `  zonesdir: "${dir}"`,
    '  database: ""',
    `  zonelistfile: "${join(dir, 'nsd.zonelist')}"`,
    `  xfrdfile: "${join(dir, 'nsd.xfrd')}"`,
    `  xfrdir: "${dir}"`,
    `  pidfile: "${join(dir, 'nsd.pid')}"`,
    `  logfile: "${join(dir, 'nsd.log')}"`,
    '  username: ""',
    '  verbosity: 0',
    // Debian builds NSD with response-rate limiting on (200/s per /24): off, as in perf-anchors.md.
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    'remote-control:',
    '  control-enable: no',
    ...zones.flatMap((z) => ['zone:', `  name: "${z.origin}"`, `  zonefile: "${z.origin}.zone"`]),
    '',
  ].join('\n');
}

function namedConf(dir, port, zones) {
  return [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    // A primary zone would otherwise send NOTIFY to its NS addresses (perf-anchors.md §1.1).
    '  notify no;',
    '  dnssec-validation no;',
    '  allow-transfer { none; };',
    '};',
    'controls { };',
    ...zones.map((z) => `zone "${z.origin}" { type primary; file "${z.origin}.zone"; };`),
    '',
  ].join('\n');
}

function run(command, args) {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 1 << 26 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a server, waits until it answers the SOA of `origin` authoritatively. */
async function startServer(server, port, origin) {
  const child = spawn(server.command, server.args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${server.name} exited (${child.exitCode}):\n${err}`);
    const { output } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+time=1',
      '+tries=1',
      '+norec',
      origin,
      'SOA',
    ]);
    if (/flags: qr aa/.test(output)) return child;
    await sleep(200);
  }
  await stopServer(child);
  throw new Error(`${server.name} did not answer on port ${port}:\n${err}`);
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user+system) of a process and all its descendants, from /proc. */
async function treeCpu(pid) {
  const stats = new Map();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) if (!tree.has(p) && tree.has(s.ppid)) (tree.add(p), (grew = true));
  }
  let ticks = 0;
  for (const p of tree) ticks += stats.get(p)?.ticks ?? 0;
  return ticks / 100; // USER_HZ
}

function parseDnsperf(output) {
  const number = (re) => Number(re.exec(output)?.[1] ?? NaN);
  return {
    qps: number(/Queries per second:\s+([\d.]+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    latencyMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    rcodes: /Response codes:\s+(.*)/.exec(output)?.[1] ?? '?',
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const k = (n) => `${(n / 1000).toFixed(1)}k`;

async function main() {
  for (const tool of ['dnsperf', 'dig', 'nsd', 'named']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0)
      throw new Error(`${tool} is not installed (apt-get install -y dnsperf bind9-dnsutils nsd bind9)`);
  }
  const seconds = Number(option('seconds', '10'));
  const runs = Number(option('runs', '3'));
  const only = option('only', 'mxplan,mxplan-2,nsd,named').split(',');

  const { formatZone } = await import('../dist/dns/zone-file.js');
  const { examples, zones, skipped } = await exampleZones();
  const dir = await mkdtemp(join(tmpdir(), 'mxplan-bench-dns-'));
  const children = new Set();
  const cleanup = async () => {
    await Promise.all([...children].map(stopServer));
    await rm(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    for (const zone of zones) await writeFile(join(dir, `${zone.origin}.zone`), formatZone(zone, { source: 'bench' }));
    await writeFile(join(dir, 'queries.txt'), queryFile(zones));
    const origin = zones[0].origin;

    const profileDir = option('cpu-prof', undefined);
    const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const servers = [
      {
        name: 'mxplan',
        command: process.execPath,
        args: (port) => [...nodeFlags, fileURLToPath(import.meta.url), '--serve', String(port), '1'],
      },
      {
        name: 'mxplan-2',
        label: 'mxplan, 2 workers',
        command: process.execPath,
        args: (port) => [...nodeFlags, fileURLToPath(import.meta.url), '--serve', String(port), '2'],
      },
      {
        name: 'nsd',
        label: 'NSD (1 server)',
        command: 'nsd',
        args: (port) => ['-d', '-c', join(dir, `nsd-${port}.conf`)],
        config: nsdConf,
      },
      {
        name: 'named',
        label: 'BIND named (-n 1)',
        command: 'named',
        args: (port) => ['-f', '-n', '1', '-c', join(dir, `named-${port}.conf`)],
        config: namedConf,
      },
    ].filter((s) => only.includes(s.name));

    const versions = {
      node: process.version,
      nsd: (await run('nsd', ['-v'])).output.split('\n')[0],
      named: (await run('named', ['-v'])).output.trim(),
      dnsperf: (/Version ([\d.]+)/.exec((await run('dnsperf', ['-h'])).output) ?? [])[1] ?? '?',
    };
    console.log(
      `zones: ${zones.length} from examples/{${examples.join(',')}} (${zones.reduce((n, z) => n + z.records.length, 0)} records)${skipped.length ? `; shared zones served once: ${skipped.join(', ')}` : ''}`,
    );
    console.log(
      `queries: 10000 lines (20% MX, 20% A, 15% AAAA, 15% TXT, 15% other records, 15% NXDOMAIN); dnsperf -l ${seconds} -c 4 -T 1; ${runs} interleaved runs`,
    );
    console.log(`versions: node ${versions.node}, ${versions.nsd}, ${versions.named}, dnsperf ${versions.dnsperf}`);
    console.log(
      `load average at start: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')} (${availableParallelism()} cores)\n`,
    );

    const results = new Map(servers.map((s) => [s.name, []]));
    const queries = join(dir, 'queries.txt');
    for (let r = 1; r <= runs; r++) {
      for (const server of servers) {
        const port = await freePort();
        if (server.config) await writeFile(join(dir, `${server.name}-${port}.conf`), server.config(dir, port, zones));
        const child = await startServer(server, port, origin);
        children.add(child);
        await sleep(1000); // settle after the start-up check, as in perf-anchors.md
        const cpuBefore = await treeCpu(child.pid);
        const { output } = await run('dnsperf', [
          '-s',
          '127.0.0.1',
          '-p',
          String(port),
          '-d',
          queries,
          '-l',
          String(seconds),
          '-c',
          '4',
          '-T',
          '1',
        ]);
        const cpu = (await treeCpu(child.pid)) - cpuBefore;
        await stopServer(child);
        children.delete(child);
        const row = { ...parseDnsperf(output) };
        if (!Number.isFinite(row.qps)) throw new Error(`dnsperf against ${server.name} printed no rate:\n${output}`);
        row.cpuUsPerQuery = (cpu * 1e6) / row.completed;
        results.get(server.name).push(row);
        console.log(
          `run ${r}  ${(server.label ?? server.name).padEnd(18)} ${k(row.qps).padStart(7)} qps  lost ${row.lost}  ${row.cpuUsPerQuery.toFixed(1)} µs CPU/query  ${row.rcodes}`,
        );
      }
    }

    console.log('\n| server | QPS median [min–max] | avg latency ms | server CPU µs/query | lost |');
    console.log('|---|---|---|---|---|');
    const medians = new Map();
    const cpuMedians = new Map();
    for (const server of servers) {
      const rows = results.get(server.name);
      const qps = rows.map((x) => x.qps);
      medians.set(server.name, median(qps));
      cpuMedians.set(server.name, median(rows.map((x) => x.cpuUsPerQuery)));
      console.log(
        `| ${server.label ?? server.name} | ${k(median(qps))} [${k(Math.min(...qps))}–${k(Math.max(...qps))}] | ${median(rows.map((x) => x.latencyMs)).toFixed(2)} | ${median(rows.map((x) => x.cpuUsPerQuery)).toFixed(1)} | ${rows.reduce((n, x) => n + x.lost, 0)} |`,
      );
    }
    const ratio = (a, b) => (medians.has(a) && medians.has(b) ? medians.get(a) / medians.get(b) : undefined);
    console.log('');
    for (const ours of ['mxplan', 'mxplan-2']) {
      const vsNsd = ratio(ours, 'nsd');
      const vsNamed = ratio(ours, 'named');
      if (vsNsd === undefined && vsNamed === undefined) continue;
      const parts = [];
      if (vsNamed !== undefined) {
        parts.push(`${vsNamed.toFixed(2)} × named (target ≥ 1: ${vsNamed >= 1 ? 'met' : 'NOT met'})`);
        const cpu = cpuMedians.get(ours) / cpuMedians.get('named');
        parts.push(`CPU/query ${cpu.toFixed(2)} × named's (target ≤ 1: ${cpu <= 1 ? 'met' : 'NOT met'})`);
      }
      if (vsNsd !== undefined)
        parts.push(`${vsNsd.toFixed(2)} × NSD (target ≥ 0.80 with workers: ${vsNsd >= 0.8 ? 'met' : 'NOT met'})`);
      console.log(`${servers.find((s) => s.name === ours).label ?? ours}: ${parts.join(', ')}`);
    }
    console.log(
      `load average at end: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await cleanup();
  }
}

/** A port free for UDP and TCP on 127.0.0.1 right now. */
async function freePort() {
  const dgram = await import('node:dgram');
  const net = await import('node:net');
  for (;;) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcp = net.createServer();
    const ok = await new Promise((resolve) =>
      tcp.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)),
    );
    await new Promise((resolve) => udp.close(resolve));
    if (ok) await new Promise((resolve) => tcp.close(resolve));
    if (ok) return port;
  }
}

await main();
