/**
 * Mail throughput with fsync on, every kind measured in the same run on the same disk (on a VM
 * disk, creating, syncing and renaming a file, not SMTP, bounds Maildir delivery):
 *
 *   discard   a bare smtp-server that accepts and discards (the SMTP layer's ceiling)
 *   probe     one fsynced Maildir file per message: tmp, write, fdatasync, close, rename into
 *             new/ (the disk's ceiling for Maildir delivery), with as many writers in parallel as
 *             the relay runs deliveries to one destination (20)
 *   one hop   mail2 as the MX for bob, who lives there: SMTP in, Maildir at DATA (no queue)
 *   two-hop   the plan's path for bob@acme.example: mail1 (acme's MX) takes the message into its
 *             spool (group commit), answers 250 and forwards it to mail2 (bob's home), which writes
 *             it to the Maildir (tmp, fdatasync, rename, fsync of new/) before its own 250; timed
 *             until mail2 has delivered the last message. Two layouts:
 *               1 process   both relays in one Node process, as `mxplan sandbox` runs them
 *               per host    each relay in its own process, as two hosts would be
 *
 *   Postfix   the same one-hop and two-hop paths through two private Postfix instances
 *             (bench/postfix.mjs), measured after the rest: the MTA this field reaches for first
 *
 * The SMTP load comes from smtp-source (Debian's postfix package: `apt-get install postfix`, with
 * a policy-rc.d that keeps its daemon from starting, as .ci/run does) with reused connections,
 * or, without it, from bench/smtp-load.mjs in a child process: the same conversation (no
 * pipelining, as smtp-source has none), Nagle off, as many sessions. The run says which it used.
 * The two measure the bare smtp-server alike (`--load both` compares them; bench/smtp-load.mjs
 * has the figures). The
 * target: two-hop >= 70% of probe, i.e. the queue hop costs no second fsync per message.
 *
 *   npm run build && node bench/smtp.mjs [--messages 4000] [--sessions 10] [--rounds 3] [--size 2048]
 *                                        [--probe-writers 20] [--after-deleting N]
 *                                        [--load smtp-source|node|both] [--kinds discard,probe,...]
 *                                        [--cpu-prof DIR]
 *
 * The disk (bench/disk.mjs): nothing is deleted until everything is measured, and the run starts
 * on a steady disk. `--after-deleting N` deletes N files before each measurement instead, which
 * reproduces the disk a previous run's cleanup leaves (file creation then costs ~0.5 ms of kernel
 * CPU). Kinds are interleaved per round and medians compared: the machine is shared.
 *
 * `--cpu-prof DIR`: each relay process of the per-host layout writes a V8 CPU profile of its main
 * thread over the measured span into DIR (<host>-<pid>.cpuprofile, as node --cpu-prof writes them;
 * Chrome DevTools opens them): where a relay's time per message goes. CPU is reported with its
 * kernel part, which holds the file system's and the sockets' work (no V8 profile shows it).
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { creationCost, degradeDisk, waitForSteadyDisk } from './disk.mjs';
import { postfixAvailable, startPostfixPair } from './postfix.mjs';

const { startRelay } = await import('../dist/mail/relay.js');
const { EndpointBook } = await import('../dist/mail/connector.js');
const { caresResolver } = await import('../dist/mail/resolver.js');
const { startDnsServer } = await import('../dist/dns/server.js');
const { deriveZones } = await import('../dist/dns/derive.js');
const { parsePlan } = await import('../dist/topology/load.js');

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);
const arg = (name, fallback) =>
  process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback;
const MESSAGES = arg('messages', 4000);
const SESSIONS = arg('sessions', 10);
const ROUNDS = arg('rounds', 3);
const SIZE = arg('size', 2048);
const PROBE_WRITERS = arg('probe-writers', 20);
const AFTER_DELETING = arg('after-deleting', 0);
const option = (name) =>
  process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined;
/** `smtp-source` or `node` (bench/smtp-load.mjs); by default smtp-source when it is installed. */
const LOAD = option('load');
/** Which measurements to run, by key (see `kinds` below); all by default. */
const KINDS = option('kinds')?.split(',');
/** A directory for the per-host relays' CPU profiles. */
const CPU_PROF = option('cpu-prof');

const TOPOLOGY = {
  version: 1,
  dns: {
    soa: { contact: 'hostmaster@infra.example' },
    nameservers: [{ name: 'ns1.infra.example', ipv4: ['192.0.2.53'] }],
  },
  zones: ['infra.example'],
  hosts: {
    store1: { fqdn: 'mail1.infra.example', ipv4: ['192.0.2.10'], role: 'store' },
    store2: { fqdn: 'mail2.infra.example', ipv4: ['192.0.2.11'], role: 'store' },
  },
  domains: {
    'acme.example': { mx: [{ host: 'store1', preference: 10 }], users: { alice: 'store1', bob: 'store2' } },
    'globex.example': { mx: [{ host: 'store2', preference: 10 }], users: { carol: 'store2' } },
  },
};
const { plan } = await parsePlan(JSON.stringify(TOPOLOGY), 'bench.json', async () => '');
if (!plan) throw new Error('bench topology does not load');

/** One relay; `onDelivered` counts mail2's deliveries. */
function relayFor(hostId, stateDir, dns, book, onDelivered) {
  return startRelay({
    plan,
    hostId,
    stateDir,
    resolver: caresResolver(dns),
    connector: book,
    profile: 'default',
    listen: { address: '127.0.0.1', port: 0 },
    log: (e) => {
      if (e.type === 'error') console.error(JSON.stringify(e));
      if (e.type === 'delivered' && e.host === 'store2') onDelivered();
    },
  });
}

if (process.argv[2] === '--relay') {
  // One host in its own process: argv hostId stateDir dnsPort book(JSON). Prints its port, then
  // "{}" at MESSAGES deliveries; on stdin, "start" begins metering and "report" prints the meter.
  const [hostId, stateDir, dnsPort, book] = process.argv.slice(3);
  let delivered = 0;
  const relay = await relayFor(
    hostId,
    stateDir,
    { address: '127.0.0.1', port: Number(dnsPort) },
    new EndpointBook(JSON.parse(book)),
    () => {
      if (++delivered === MESSAGES) console.log('{}');
    },
  );
  let cpu0 = process.cpuUsage();
  let loop0 = performance.eventLoopUtilization();
  // The profile covers what is metered: from "start" to "report".
  const profiler = CPU_PROF ? new Session() : undefined;
  profiler?.connect();
  const onLine = async (line) => {
    if (line === 'start') {
      await profiler?.post('Profiler.enable');
      await profiler?.post('Profiler.start');
      [cpu0, loop0] = [process.cpuUsage(), performance.eventLoopUtilization()];
    }
    if (line === 'report') {
      const cpu = process.cpuUsage(cpu0);
      const busy = performance.eventLoopUtilization(loop0).utilization;
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        await writeFile(join(CPU_PROF, `${hostId}-${process.pid}.cpuprofile`), JSON.stringify(profile));
      }
      console.log(JSON.stringify({ cpu: (cpu.user + cpu.system) / 1000, kernel: cpu.system / 1000, busy }));
    }
  };
  createInterface({ input: process.stdin }).on('line', (line) => void onLine(line));
  console.log(relay.port);
  process.on('SIGTERM', () => void relay.stop().then(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const smtpSource = await which('smtp-source');
  if ((LOAD === 'smtp-source' || LOAD === 'both') && !smtpSource)
    throw new Error("smtp-source not found: it is in Debian's postfix package (apt-get install postfix)");
  if (LOAD && !['smtp-source', 'node', 'both'].includes(LOAD))
    throw new Error(`--load: smtp-source, node or both, not ${LOAD}`);
  /** The generator every measurement uses: smtp-source when installed, unless told otherwise. */
  const primary = LOAD === 'node' || !smtpSource ? 'node' : 'smtp-source';
  const loadScript = fileURLToPath(new URL('./smtp-load.mjs', import.meta.url));
  const describe = (generator) =>
    generator === 'smtp-source'
      ? `smtp-source (${smtpSource}) -d -s ${SESSIONS} -m ${MESSAGES} -l ${SIZE}`
      : `bench/smtp-load.mjs, ${SESSIONS} sessions like smtp-source's${smtpSource ? '' : " (smtp-source not found: it is in Debian's postfix package, apt-get install postfix)"}`;
  const client = describe(primary);
  // Everything this run writes stays here until the end (bench/disk.mjs).
  const root = await mkdtemp(join(tmpdir(), 'mxplan-bench-smtp-'));
  if (CPU_PROF) await mkdir(CPU_PROF, { recursive: true });

  /**
   * Readies the load generator for a port; `go()` then sends everything and resolves when it is
   * sent. The fallback starts and connects first, so that Node's start is not timed.
   */
  const load = async (port, generator = primary) => {
    if (generator === 'smtp-source') {
      const args = [
        '-d',
        '-s',
        String(SESSIONS),
        '-m',
        String(MESSAGES),
        '-l',
        String(SIZE),
        '-M',
        'bench.example.test',
      ];
      args.push('-f', 'carol@globex.example', '-t', 'bob@acme.example', `127.0.0.1:${port}`);
      return { go: () => run(smtpSource, args) };
    }
    const args = ['--port', String(port), '--messages', String(MESSAGES), '--sessions', String(SESSIONS)];
    const child = spawn(process.execPath, [loadScript, ...args, '--size', String(SIZE), '--wait'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-load exited with ${code}`)))),
    );
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    if ((await lines.next()).value !== 'ready') throw new Error('smtp-load did not get ready');
    return { go: () => (child.stdin.end('go\n'), exited) };
  };

  /** Times `work` (which sends MESSAGES messages) and meters this process: CPU per message, main thread busy. */
  const metered = async (work) => {
    const cpu0 = process.cpuUsage();
    const loop0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const extra = await work();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      rate: MESSAGES / seconds,
      cpu: (cpu.user + cpu.system) / 1000 / MESSAGES,
      kernel: cpu.system / 1000 / MESSAGES,
      busy: performance.eventLoopUtilization(loop0).utilization,
      ...extra,
    };
  };

  const discard = async (generator = primary) => {
    let count = 0;
    const server = new SMTPServer({
      disableReverseLookup: true,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => {
          count++;
          callback(null, 'Ok');
        });
      },
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sender = await load(server.server.address().port, generator);
    const result = await metered(() => sender.go());
    await new Promise((resolve) => server.close(resolve));
    if (count !== MESSAGES) throw new Error(`discard: ${count} of ${MESSAGES} arrived`);
    return result;
  };

  const probe = async () => {
    const dir = await mkdtemp(join(root, 'probe-'));
    await mkdir(join(dir, 'tmp'));
    await mkdir(join(dir, 'new'));
    const body = Buffer.alloc(SIZE, 0x78);
    let next = 0;
    const result = await metered(() =>
      Promise.all(
        Array.from({ length: PROBE_WRITERS }, async () => {
          while (next < MESSAGES) {
            const name = `${Date.now()}.P${process.pid}Q${next++}.bench`;
            const file = await open(join(dir, 'tmp', name), 'wx');
            await file.writeFile(body);
            await file.datasync();
            await file.close();
            await rename(join(dir, 'tmp', name), join(dir, 'new', name));
          }
        }),
      ),
    );
    const files = (await readdir(join(dir, 'new'))).length;
    if (files !== MESSAGES) throw new Error(`probe: ${files} files`);
    return result;
  };

  /**
   * Both relays in this process (the sandbox's layout). With `direct`, the load goes straight to
   * mail2, bob's home, which delivers at DATA: one hop, no queue, the reference for what the
   * queue hop adds.
   */
  const relaysInOneProcess = async ({ direct = false } = {}) => {
    const stateDir = await mkdtemp(join(root, direct ? 'one-hop-' : 'two-hop-'));
    const dns = await startDnsServer({ zones: deriveZones(plan), port: 0 });
    const book = new EndpointBook();
    let delivered = 0;
    let done;
    const allDelivered = new Promise((resolve) => (done = resolve));
    const store2 = await relayFor('store2', stateDir, dns, book, () => ++delivered === MESSAGES && done());
    book.set('192.0.2.11', { host: '127.0.0.1', port: store2.port });
    const store1 = await relayFor('store1', stateDir, dns, book, () => {});
    const generator = await load(direct ? store2.port : store1.port);
    const result = await metered(async () => {
      await generator.go();
      await allDelivered;
    });
    const commits = store1.spoolStats().commits / MESSAGES;
    await store1.stop();
    await store2.stop();
    await dns.close();
    await checkMailbox(stateDir);
    return { ...result, commits };
  };

  /** Each relay in its own process; CPU and main-thread figures are the two relays' sums. */
  const twoHopPerHost = async () => {
    const stateDir = await mkdtemp(join(root, 'two-hop-'));
    const dns = await startDnsServer({ zones: deriveZones(plan), port: 0 });
    const children = [];
    const startChild = async (hostId, book) => {
      const child = spawn(
        process.execPath,
        [
          self,
          '--relay',
          hostId,
          stateDir,
          String(dns.port),
          JSON.stringify(book),
          '--messages',
          String(MESSAGES),
          ...(CPU_PROF ? ['--cpu-prof', CPU_PROF] : []),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      children.push(child);
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const port = Number((await lines.next()).value);
      return { child, port, next: () => lines.next().then((l) => JSON.parse(l.value)) };
    };
    const store2 = await startChild('store2', []);
    const store1 = await startChild('store1', [['192.0.2.11', { host: '127.0.0.1', port: store2.port }]]);
    const generator = await load(store1.port);
    const t0 = performance.now();
    for (const c of children) c.stdin.write('start\n');
    await generator.go();
    await store2.next(); // delivered everything
    const seconds = (performance.now() - t0) / 1000;
    const usage = [];
    for (const s of [store1, store2]) {
      s.child.stdin.write('report\n');
      usage.push(await s.next());
    }
    await Promise.all(children.map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))));
    await dns.close();
    await checkMailbox(stateDir);
    return {
      rate: MESSAGES / seconds,
      cpu: usage.reduce((n, u) => n + u.cpu, 0) / MESSAGES,
      kernel: usage.reduce((n, u) => n + u.kernel, 0) / MESSAGES,
      busy: usage.reduce((n, u) => n + u.busy, 0),
    };
  };

  const checkMailbox = async (stateDir) => {
    const files = (await readdir(join(stateDir, 'store2', 'maildir', 'acme.example', 'bob', 'new'))).length;
    if (files !== MESSAGES) throw new Error(`two-hop: ${files} of ${MESSAGES} in the mailbox`);
  };

  /** Each measurement starts with the previous one's writes on disk, and the disk in the chosen state. */
  const prepare = async () => {
    await run('sync');
    if (AFTER_DELETING > 0) await degradeDisk(root, AFTER_DELETING);
    return creationCost(root);
  };

  if (LOAD === 'both') {
    await compareGenerators(discard, describe);
    await rm(root, { recursive: true, force: true });
    return;
  }

  const every = {
    discard: ['bare smtp-server, discard', discard],
    probe: ['bare fsynced Maildir probe', probe],
    oneHop: ['one hop, the home host as MX', () => relaysInOneProcess({ direct: true })],
    one: ['two-hop, relays in 1 process', () => relaysInOneProcess()],
    perHost: ['two-hop, a process per host', twoHopPerHost],
  };
  for (const key of KINDS ?? []) if (!(key in every)) throw new Error(`--kinds: no measurement ${key}`);
  const kinds = Object.fromEntries(Object.entries(every).filter(([key]) => !KINDS || KINDS.includes(key)));
  const has = (...keys) => keys.every((key) => key in kinds);
  const results = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const creates = [];
  const regime =
    AFTER_DELETING > 0
      ? `${AFTER_DELETING} files deleted before each measurement`
      : 'steady disk, nothing deleted until the end';
  console.log(
    `${MESSAGES} messages of ${SIZE} bytes per run, ${ROUNDS} rounds; load: ${client}; probe writers: ${PROBE_WRITERS}; ${regime}`,
  );
  // The bare server writes no file: only the others wait for the disk.
  if (AFTER_DELETING === 0 && Object.keys(kinds).some((key) => key !== 'discard')) await waitForSteadyDisk(root);
  for (let round = 1; round <= ROUNDS; round++) {
    const line = [];
    for (const [key, [, measure]] of Object.entries(kinds)) {
      const create = await prepare();
      creates.push(create);
      const result = await measure();
      results[key].push(result);
      line.push(`${key} ${result.rate.toFixed(0)}/s (create ${create.toFixed(0)} us)`);
    }
    const ratio = (key) => (results[key].at(-1).rate / results.probe.at(-1).rate).toFixed(2);
    console.log(
      `round ${round}: ${line.join(', ')}` +
        (has('probe', 'one', 'perHost')
          ? `; vs probe: 1 process ${ratio('one')}, per host ${ratio('perHost')}; mail1 spool ${results.one.at(-1).commits.toFixed(2)} fdatasync/message`
          : ''),
    );
  }

  // Postfix last: it deletes its queue files, which degrades the disk for whatever comes next.
  const postfix = { one: [], two: [] };
  if (KINDS) console.log('Postfix reference skipped: not every measurement was asked for (--kinds)');
  else if (!(await postfixAvailable()))
    console.log("Postfix reference skipped: it needs root and Debian's postfix (apt-get install postfix)");
  else {
    await chmod(root, 0o755); // Postfix's own users (postfix, nobody) work below it
    const pair = await startPostfixPair(join(root, 'postfix'));
    try {
      /** Sends to `port` and waits until bob's Maildir on mail2 holds every message. */
      const through = async (port) => {
        const before = (await readdir(pair.mailbox).catch(() => [])).length;
        const generator = await load(port);
        const t0 = performance.now();
        await generator.go();
        while ((await readdir(pair.mailbox).catch(() => [])).length < before + MESSAGES)
          await new Promise((r) => setTimeout(r, 20));
        return MESSAGES / ((performance.now() - t0) / 1000);
      };
      for (let round = 1; round <= ROUNDS; round++) {
        await run('sync');
        postfix.one.push(await through(pair.port2));
        await run('sync');
        postfix.two.push(await through(pair.port1));
        console.log(
          `Postfix round ${round}: one hop ${postfix.one.at(-1).toFixed(0)}/s, two-hop ${postfix.two.at(-1).toFixed(0)}/s`,
        );
      }
    } finally {
      await pair.stop();
    }
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const probeRate = has('probe') ? median(results.probe.map((r) => r.rate)) : NaN;
  console.log(
    `\nfile creation before the measurements: median ${median(creates).toFixed(0)} us of kernel CPU (steady below ${80} us)`,
  );
  console.log('path (median of rounds)              msgs/s   vs probe   CPU ms/msg   of it kernel   main thread busy');
  for (const [key, [name]] of Object.entries(kinds)) {
    const rs = results[key];
    const rate = median(rs.map((r) => r.rate));
    const cpu = median(rs.map((r) => r.cpu)).toFixed(3);
    const kernel = median(rs.map((r) => r.kernel)).toFixed(3);
    const busy = `${(median(rs.map((r) => r.busy)) * 100).toFixed(0)}%`;
    console.log(
      `${name.padEnd(34)}${rate.toFixed(0).padStart(10)}   ${(rate / probeRate).toFixed(2).padStart(8)}   ${cpu.padStart(10)}   ${kernel.padStart(12)}   ${busy.padStart(16)}`,
    );
  }
  for (const [name, rates] of [
    ['Postfix 3, one hop (mail2)', postfix.one],
    ['Postfix 3, two-hop (mail1 -> mail2)', postfix.two],
  ]) {
    if (rates.length > 0)
      console.log(
        `${name.padEnd(34)}${median(rates).toFixed(0).padStart(10)}   ${(median(rates) / probeRate).toFixed(2).padStart(8)}   ${'-'.padStart(10)}   ${'-'.padStart(12)}   ${'-'.padStart(16)}`,
      );
  }
  if (postfix.two.length > 0) {
    const versus = (key) =>
      key in results ? `${(median(results[key].map((r) => r.rate)) / median(postfix.two)).toFixed(2)}x` : '-';
    console.log(`two-hop vs Postfix two-hop (same run): 1 process ${versus('one')}, per host ${versus('perHost')}`);
  }
  if (has('one', 'oneHop')) {
    const oneHop = median(results.oneHop.map((r) => r.rate));
    console.log(
      `target: two-hop >= 0.70 x probe; mail1 spool fdatasyncs per message (median): ${median(results.one.map((r) => r.commits)).toFixed(2)}`,
    );
    console.log(
      `two-hop (1 process) vs one hop: ${(median(results.one.map((r) => r.rate)) / oneHop).toFixed(2)} (what the queue hop, a second SMTP session plus the spool, costs)`,
    );
  }
  console.log(`load generator: ${client}`);
  console.log(
    'CPU and busy: of the server side only (this process; for per host, the two relays summed); the load generator is not counted.',
  );
  // Deleting degrades the disk for the next few minutes (bench/disk.mjs): last, after every figure.
  await rm(root, { recursive: true, force: true });
}

/**
 * `--load both`: the bare smtp-server under either generator, alternately, ROUNDS times: the check
 * that the fallback measures what smtp-source measures. The server's CPU per message says whether
 * both hold the same conversation; the rates, whether the generator keeps up (on a quiet machine).
 */
async function compareGenerators(discard, describe) {
  const generators = ['smtp-source', 'node'];
  console.log(`the bare smtp-server, ${MESSAGES} messages of ${SIZE} bytes per run, ${ROUNDS} rounds, alternating:`);
  for (const g of generators) console.log(`  ${g}: ${describe(g)}`);
  const results = { 'smtp-source': [], node: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? generators : [...generators].reverse();
    const line = [];
    for (const g of order) {
      const result = await discard(g);
      results[g].push(result);
      line.push(`${g} ${result.rate.toFixed(0)}/s, server ${result.cpu.toFixed(3)} ms/msg`);
    }
    console.log(`round ${round}: ${line.join('; ')}`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rate = (g) => median(results[g].map((r) => r.rate));
  const cpu = (g) => median(results[g].map((r) => r.cpu));
  for (const g of generators)
    console.log(`median ${g.padEnd(12)} ${rate(g).toFixed(0).padStart(6)}/s, server ${cpu(g).toFixed(3)} ms/msg`);
  console.log(
    `node / smtp-source: rate ${(rate('node') / rate('smtp-source')).toFixed(3)}, server CPU per message ${(cpu('node') / cpu('smtp-source')).toFixed(3)}`,
  );
}

async function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      await (await open(join(dir, name), 'r')).close();
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}
