/**
 * How long `mxplan verify` takes, for the examples and for synthetic plans of growing size, and
 * how that grows with the number of addresses (it should not grow faster). Each plan is verified
 * in a fresh process, the way a person runs it. Beside it, in the same run, the reference: a bare
 * fsynced Maildir write per address (the disk's floor for delivering that many messages).
 *
 *   npm run build && node bench/verify.mjs [--sizes 10x20,100x20,1000x5]
 *
 * A second reference bounds what any verify built on an independent SMTP client can reach: SMTP
 * alone, one probe-sized message per address from nodemailer (verify's own client, pooled as its
 * outside sender pools: 24 connections, 96 sends in flight) to a bare smtp-server that discards
 * each message, both in this process, on loopback. A third writes each message into a new Maildir
 * of its own, as verify's deliveries do. That and SMTP alone together ("bound") are what a verify
 * would cost if the relays between the two cost nothing. The delivery scenario alone is set beside
 * them too: it is the part of a verify that sends just what they send, one message per address.
 *
 * Each plan's references are measured right after its verify, each of the two on a disk that is
 * steady when it starts (bench/disk.mjs): a verify's relays delete their queue files, which makes
 * file creation dearer for a few minutes, and a floor measured on that disk would be inflated.
 * Each verify keeps its state directory and nothing is deleted until everything is measured; the
 * cost of a file creation before the verify and before its references is printed beside them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { inParallel } from '../dist/parallel.js';
import { creationCost, waitForSteadyDisk } from './disk.mjs';
import { writeSyntheticTopology } from './synthetic.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sizesArg = process.argv.includes('--sizes')
  ? process.argv[process.argv.indexOf('--sizes') + 1]
  : '10x20,100x20,1000x5';
const sizes = sizesArg
  .split(',')
  .map((s) => s.split('x').map(Number))
  .map(([domains, usersPerDomain]) => ({ domains, usersPerDomain }));

// Everything this run writes, the verifies' state directories included, stays here until the end.
const scratch = await mkdtemp(join(tmpdir(), 'mxplan-bench-verify-'));

function verify(file) {
  const create = creationCost(scratch);
  const started = performance.now();
  const out = execFileSync(
    process.execPath,
    [join(root, 'bin', 'mxplan.js'), 'verify', file, '--format', 'json', '--keep'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, TMPDIR: scratch },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const report = JSON.parse(out);
  if (!report.passed) throw new Error(`${file} did not verify`);
  const delivery = report.scenarios.find((s) => s.name === 'delivery');
  return { seconds, create, checks: report.cases.length, addresses: delivery.passed, scenarios: report.scenarios };
}

/** Seconds for `write(i)` for every i below `n`, `writers` at a time (the project's one pool). */
async function timed(n, write, writers = 16) {
  const indexes = Array.from({ length: n }, (_, i) => i);
  const started = performance.now();
  await inParallel(indexes, writers, write);
  return (performance.now() - started) / 1000;
}

/** A message to the Maildir `dir`: tmp/<name>, fdatasynced, renamed into new/. */
async function writeMessage(dir, name) {
  const file = await open(join(dir, 'tmp', name), 'wx');
  await file.writeFile('Subject: floor\r\n\r\nbody\r\n');
  await file.datasync();
  await file.close();
  await rename(join(dir, 'tmp', name), join(dir, 'new', name));
}

async function syncDirectory(dir) {
  const handle = await open(dir, 'r');
  await handle.sync();
  await handle.close();
}

/** One fsynced Maildir-style file per message (tmp, fdatasync, rename): the floor for `n` deliveries. */
async function maildirFloor(n) {
  const dir = await mkdtemp(join(scratch, 'floor-'));
  await mkdir(join(dir, 'tmp'));
  await mkdir(join(dir, 'new'));
  return timed(n, (i) => writeMessage(dir, String(i)));
}

/**
 * The floor again, but each message to a mailbox of its own, made first as any Maildir store
 * makes a new one: <domain>/<local>/{tmp,new,cur}, the new directories' parents fsynced, then the
 * fsynced message and new/ fsynced after the rename. Verify writes every address's first message
 * into a new mailbox, so this is what its deliveries cost the disk (over 32 domains).
 */
async function maildirsFloor(n) {
  const root = await mkdtemp(join(scratch, 'maildirs-'));
  return timed(n, async (i) => {
    const domain = join(root, `d${i % 32}.example`);
    const mailbox = join(domain, `user${i}`);
    await mkdir(join(mailbox, 'tmp'), { recursive: true });
    await mkdir(join(mailbox, 'new'));
    await mkdir(join(mailbox, 'cur'));
    await Promise.all([syncDirectory(mailbox), syncDirectory(domain)]);
    await writeMessage(mailbox, String(i));
    await syncDirectory(join(mailbox, 'new'));
  });
}

/** Seconds for `n` messages through nodemailer's pool to a bare smtp-server that discards them. */
async function smtpAlone(n) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => callback());
      stream.resume();
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.server.address().port,
    pool: true,
    maxConnections: 24,
    maxMessages: Infinity,
    ignoreTLS: true,
    // As verify's sender dials: Nagle off, or each message's final dot waits for a delayed ACK.
    getSocket: (_options, callback) => {
      const socket = connect(server.server.address().port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.once('connect', () => callback(null, { connection: socket }));
      socket.once('error', (error) => callback(error));
    },
  });
  const seconds = await timed(
    n,
    async (i) => {
      const to = `user${i}@bench.example`;
      const raw = [
        'From: <verify@mxplan.invalid>',
        `To: <${to}>`,
        'Subject: mxplan verify: delivery',
        `Message-ID: <bench${i}@verify.mxplan.invalid>`,
        `Date: ${new Date().toUTCString()}`,
        `X-Mxplan-Probe: bench${i}`,
        '',
        `mxplan verify probe bench${i} to ${to}.`,
        '',
      ].join('\r\n');
      await transport.sendMail({ envelope: { from: 'verify@mxplan.invalid', to: [to] }, raw });
    },
    96, // sends in flight, as verify's delivery scenario has them
  );
  transport.close();
  await new Promise((resolve) => server.close(resolve));
  return seconds;
}

const plans = [
  ...['building', 'hosting'].map((example) => ({
    name: `examples/${example}`,
    file: join(root, 'examples', example, 'topology.yaml'),
  })),
  ...sizes.map((size) => ({ name: `synthetic ${size.domains}x${size.usersPerDomain}`, size })),
];
const rows = [];
for (const plan of plans) {
  const file = plan.file ?? (await writeSyntheticTopology(await mkdtemp(join(scratch, 'plan-')), plan.size));
  await waitForSteadyDisk(scratch);
  const run = verify(file);
  // As many messages as the delivery scenario sent, one per address.
  await waitForSteadyDisk(scratch);
  const referenceCreate = creationCost(scratch);
  const floor = await maildirFloor(run.addresses);
  const smtp = await smtpAlone(run.addresses);
  const maildirs = await maildirsFloor(run.addresses);
  rows.push({ name: plan.name, ...run, floor, smtp, maildirs, referenceCreate });
}

console.log(
  'plan                     addresses   checks   verify s   ms/address   floor s   verify/floor   smtp s   verify/smtp   maildirs s   bound/floor   create us (verify, refs)',
);
for (const r of rows) {
  const { floor, smtp, maildirs } = r;
  console.log(
    `${r.name.padEnd(24)} ${String(r.addresses).padStart(9)} ${String(r.checks).padStart(8)} ${r.seconds.toFixed(1).padStart(10)} ${((r.seconds * 1000) / r.addresses).toFixed(2).padStart(12)} ${floor.toFixed(1).padStart(9)} ${(r.seconds / floor).toFixed(1).padStart(14)} ${smtp.toFixed(1).padStart(8)} ${(r.seconds / smtp).toFixed(1).padStart(13)} ${maildirs.toFixed(1).padStart(12)} ${((maildirs + smtp) / floor).toFixed(1).padStart(13)} ${`${r.create.toFixed(0)}, ${r.referenceCreate.toFixed(0)}`.padStart(24)}`,
  );
}
console.log(
  'floor: one fsynced Maildir file per address; smtp: nodemailer to a discarding smtp-server, one message per address',
);
console.log(
  'maildirs: the floor, each message into a new Maildir of its own (mkdir tmp, new, cur; fsync the parents), as verify writes them',
);
console.log(
  'bound: maildirs + smtp, the least a verify reaches that sends each probe with nodemailer and stores it, with relays that cost nothing',
);
console.log(
  'create us: kernel CPU per file created, just before the verify and just before its references (steady below 80; bench/disk.mjs)',
);
// The delivery scenario alone sends what the references send, one message per address; the
// rest of a verify (start, its other scenarios' messages, the outages' timeouts) is on top.
console.log('\nthe delivery scenario alone (every address once, as the references):');
console.log('plan                     delivery s   delivery/floor   delivery/bound');
for (const r of rows) {
  const delivery = r.scenarios.find((s) => s.name === 'delivery').durationMs / 1000;
  console.log(
    `${r.name.padEnd(24)} ${delivery.toFixed(1).padStart(10)} ${(delivery / r.floor).toFixed(1).padStart(16)} ${(delivery / (r.maildirs + r.smtp)).toFixed(2).padStart(16)}`,
  );
}
console.log('\nper scenario (s):');
for (const r of rows)
  console.log(
    `${r.name.padEnd(24)} ${r.scenarios.map((s) => `${s.name} ${(s.durationMs / 1000).toFixed(1)}`).join('  ')}`,
  );

// Deleting degrades the disk for the next few minutes (bench/disk.mjs): last, after every figure.
await rm(scratch, { recursive: true, force: true });
