/**
 * The lab's Postfix MTA: one Postfix instance per planned host (`postfix -c <state>/<host>/postfix`)
 * and one Dovecot per store (`dovecot -c <state>/<host>/dovecot/dovecot.conf`), each in its
 * host's namespace, running the files `mxplan mta` writes (mtaFiles, the command's own code)
 * with only the paths changed, and one clearly separate block appended to main.cf (docs/lab.md
 * lists every line):
 *
 * - the paths (MtaPaths) of each host under <state>/<host>/: queue, data, logs, Maildirs;
 * - LAB_OVERRIDES: retries and the queue lifetime in seconds, as the loopback sandbox's fast
 *   profile has them (src/mail/profiles.ts), so verify's failover and bounce finish in seconds;
 *   and mail for root on the host itself kept inside the lab's state.
 *
 * What a host needs (the README of `mxplan mta`): a `vmail` user (the lab adds one in its
 * namespaces' /etc/netns/<ns>/passwd when the machine has none), passwd and users readable by
 * the dovecot group, the lab's DNS (resolv.conf), and password hashes: the lab makes a throwaway
 * password for every stored user and hands the hashes to mtaFiles as `mxplan mta --passwords`
 * reads them.
 *
 * A host that signs runs OpenDKIM beside its Postfix, an instance per signature algorithm, its
 * milters (opendkim.ts), started before Postfix so that no message passes unsigned while it comes up.
 *
 * Activity is Postfix's own log (maillog_file), read to its end whenever asked (postfix-log.ts).
 * Down stops Dovecot, Postfix and OpenDKIM (their masters and every child); up starts them again
 * on the same queue. TLS: the paths name the certificate the lab's CA issued each host
 * (<state>/tls/, lab.ts), which Postfix and Dovecot read as root.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { profileFor } from '../mail/profiles.js';
import { mtaFiles, type MtaOutput } from '../mta/mta-dir.js';
import type { Passwords } from '../mta/dovecot.js';
import type { MtaPaths } from '../mta/paths.js';
import { LMTP_SOCKET } from '../mta/postfix.js';
import { readPasswords } from '../mta/passwords.js';
import type { Activity, MailAccess, QueuedMessage } from '../sandbox/engine.js';
import { hostLayout, tlsLayout } from '../state-layout.js';
import type { Host, Plan } from '../topology/types.js';
import { asHost, inNamespace, LabError, must, mustStart, run, withTerminal } from './exec.js';
import { tcpForwarder, type Forwarder } from './forward.js';
import type { LabMta, MtaContext } from './mta.js';
import { LogTail } from './log-tail.js';
import { livingInGroup } from './procfs.js';
import { PostfixLog } from './postfix-log.js';
import { waitUntilAnswering } from './readiness.js';
import { NamespaceSockets } from './sockets.js';
import { LAB_DKIM_KEYS, prepareOpendkim, startOpendkim, type LabOpendkim } from './opendkim.js';

/** A host's paths in the lab: everything under <state>/<host>/, the Maildirs where the contract says. */
export function labPaths(stateDir: string): (host: Host) => MtaPaths {
  const tls = tlsLayout(stateDir);
  return (host) => {
    const dir = join(stateDir, host.id);
    return {
      postfixQueue: join(dir, 'spool'),
      postfixData: join(dir, 'postfix-data'),
      postfixLog: join(dir, 'log', 'postfix.log'),
      dovecotConfig: join(dir, 'dovecot'),
      dovecotRun: join(dir, 'dovecot-run'),
      dovecotState: join(dir, 'dovecot-state'),
      dovecotLog: join(dir, 'log', 'dovecot.log'),
      opendkimConfig: join(dir, 'opendkim'),
      opendkimRun: join(dir, 'opendkim-run'),
      // Production's, as the host's namespace sees it: no directory above it others may write (opendkim.ts).
      dkimKeys: LAB_DKIM_KEYS,
      mailRoot: hostLayout(stateDir, host.id).maildirRoot,
      // The lab's CA issued these (lab.ts, src/tls/plan-subjects.ts); root reads them, as in production.
      tlsKey: tls.host(host.id).key,
      tlsChain: tls.host(host.id).cert,
      tlsTrust: tls.caCert,
    };
  };
}

/**
 * The lab's own lines at the end of main.cf, apart from the generated ones (Postfix takes the
 * last setting of a parameter). With the fast profile, its timing: retries after a second,
 * backoff up to five, the queue lifetime one second per planned hour (or the engine's), and a
 * connection that gets no answer (a cut host) given up as the relays give it up. Always: mail
 * for root on the host stays inside the lab.
 */
export function labOverrides(host: Host, paths: MtaPaths, profile: 'fast' | 'default', queueLifetime?: number): string {
  const timing = profileFor(profile, host, queueLifetime === undefined ? {} : { queueLifetime });
  const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;
  const lifetime = [
    `maximal_queue_lifetime = ${seconds(timing.queueLifetime)}`,
    `bounce_queue_lifetime = ${seconds(timing.queueLifetime)}`,
  ];
  return [
    '',
    '# mxplan lab overrides (docs/lab.md): not part of what production runs.',
    ...(profile === 'fast'
      ? [
          "# Timing of the loopback sandbox's fast profile, so that an outage lasts seconds:",
          `minimal_backoff_time = ${seconds(timing.firstRetry)}`,
          `maximal_backoff_time = ${seconds(timing.maxRetry)}`,
          `queue_run_delay = ${seconds(timing.firstRetry)}`,
          ...lifetime,
          `smtp_connect_timeout = ${seconds(timing.connectTimeout)}`,
        ]
      : queueLifetime !== undefined
        ? ['# The queue lifetime the lab was started with:', ...lifetime]
        : []),
    "# Mail for root on the host stays in the lab's state, and no ~/.forward of the machine is read:",
    `mail_spool_directory = ${join(dirname(paths.postfixQueue), 'local-mail')}`,
    'forward_path =',
    '',
  ].join('\n');
}

/**
 * main.cf with the lab's lines at its end, each parameter they set dropped from the generated
 * part: Postfix takes the last setting, but warns about the earlier one in every process it starts.
 */
export function withOverrides(mainCf: string, overrides: string): string {
  const parameter = (line: string) => /^([a-z0-9_]+)\s*=/.exec(line)?.[1];
  const set = new Set(
    overrides
      .split('\n')
      .map(parameter)
      .filter((p) => p !== undefined),
  );
  const kept = mainCf.split('\n').filter((line) => !set.has(parameter(line) ?? ''));
  return kept.join('\n') + overrides;
}

interface PostfixHost {
  readonly host: Host;
  readonly namespace: string;
  readonly config: string;
  readonly dovecotConf: string | undefined;
  readonly paths: MtaPaths;
  /** Its OpenDKIM instances, in milter order (none: it signs nothing). */
  readonly signers: readonly LabOpendkim[];
  /**
   * What its OpenDKIM (files, keys) and its Dovecot (dovecot.conf) were configured with: a change
   * needs their restart or reload. Dovecot's passwd and users are passwd-file databases, which
   * it reads again by itself when they change (their mtime and size): no reload for them, which
   * would cut every session (shutdown_clients), an LMTP delivery after its DATA too, and
   * Postfix would deliver that message again.
   */
  readonly opendkimFiles: string;
  readonly dovecotFiles: string;
  readonly tail: LogTail;
  readonly log: PostfixLog;
}

export async function startPostfix(context: MtaContext): Promise<LabMta> {
  const { plan, layout, network, stateDir } = context;
  const accounts = await systemAccounts();
  const passwords = throwawayPasswords(stateDir);
  const paths = labPaths(stateDir);
  /** `mxplan mta`'s output for each plan run, made once. */
  const outputs = new WeakMap<Plan, MtaOutput>();
  const outputOf = async (p: Plan) => {
    let output = outputs.get(p);
    if (!output) {
      output = mtaFiles(p, { passwords: await passwords.hashesFor(p), paths });
      outputs.set(p, output);
      await writeFile(join(stateDir, 'mta-README.md'), output.files.get('README.md') ?? '');
    }
    return output;
  };
  /** Each host as it is configured now (a switch writes the new plan's files: `configure`). */
  const hosts = new Map<string, PostfixHost>();

  /** Writes the host's files under `p`, with what its daemons need around them. */
  const configure = async (host: Host, p: Plan): Promise<PostfixHost> => {
    const { files, hosts: summaries } = await outputOf(p);
    const keyFiles = new Map(
      [...p.domains.values()].flatMap((d) => d.dkim.map((k) => [k.keyPath, k.keyFile] as const)),
    );
    const hostPaths = paths(host);
    const dir = join(stateDir, host.id);
    const store = host.role === 'store';
    for (const d of [
      dir,
      join(dir, 'postfix'),
      dirname(hostPaths.postfixLog),
      hostPaths.postfixQueue,
      join(dir, 'local-mail'),
    ])
      await mkdir(d, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o711);
    await mkdir(hostPaths.postfixData, { recursive: true, mode: 0o700 });
    await chown(hostPaths.postfixData, accounts.postfix, 0);
    const mine: [string, string][] = [];
    for (const [name, text] of files) {
      const [hostId, kind, file] = name.split('/');
      if (hostId !== host.id || !file) continue;
      mine.push([`${kind}/${file}`, text]);
      const target = join(dir, kind!, file);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const secret = kind === 'dovecot' && file !== 'dovecot.conf';
      await writeFile(
        target,
        kind === 'postfix' && file === 'main.cf'
          ? withOverrides(text, labOverrides(host, hostPaths, context.profile, context.queueLifetime))
          : text,
        {
          mode: secret ? 0o640 : 0o644,
        },
      );
      if (secret) await chown(target, 0, accounts.dovecotGroup);
    }
    const namespace = layout.host(host.id).namespace;
    if (store) {
      await mkdir(hostPaths.mailRoot, { recursive: true, mode: 0o700 });
      await chown(hostPaths.mailRoot, accounts.vmail.uid, accounts.vmail.gid);
      for (const d of [hostPaths.dovecotRun, hostPaths.dovecotState]) await mkdir(d, { recursive: true, mode: 0o755 });
    }
    // Each key the KeyTable names, with the topology's file it is (keyPath is relative to the topology).
    const keys = (summaries.find((s) => s.id === host.id)?.dkimKeys ?? []).map((k) => {
      const file = keyFiles.get(k.keyPath);
      if (!file) throw new LabError(`${host.id}: no key file of the topology for ${k.path}`);
      return { path: k.path, file };
    });
    const instances = summaries.find((s) => s.id === host.id)?.opendkim ?? [];
    const signs = instances.length > 0;
    const signers = signs ? await prepareOpendkim(namespace, hostPaths, keys, accounts.opendkim(), instances) : [];
    const etc = namespaceAccounts(accounts, { vmail: store, postfixInOpendkim: signs });
    if (etc.passwd) await network.etcFile(layout.host(host.id), 'passwd', etc.passwd);
    if (etc.group) await network.etcFile(layout.host(host.id), 'group', etc.group);
    const of = (prefix: string) =>
      mine
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, text]) => `${name}\n${text}`)
        .join('\0');
    const earlier = hosts.get(host.id);
    const configured: PostfixHost = {
      host,
      namespace,
      config: join(dir, 'postfix'),
      dovecotConf: store ? join(dir, 'dovecot', 'dovecot.conf') : undefined,
      paths: hostPaths,
      signers,
      opendkimFiles: [of('opendkim/'), ...keys.map((k) => `${k.path} ${k.file}`)].join('\0'),
      dovecotFiles: of('dovecot/dovecot.conf'),
      // One log per host, however many plans it runs.
      tail: earlier?.tail ?? new LogTail(hostPaths.postfixLog),
      log: earlier?.log ?? new PostfixLog(host.id),
    };
    hosts.set(host.id, configured);
    return configured;
  };
  for (const host of plan.hosts.values()) await configure(host, plan);

  let lastMail = Date.now();
  /** Submissions not yet taken by their host. */
  let submitting = 0;
  /** Submissions waiting for cleanup(8) to log their Message-ID: "host <id>" to the waiter. */
  const entering = new Map<string, (queueId: string) => void>();
  /** Reads every host's log to its end, in order per host. */
  const catchUp = (host?: PostfixHost) => {
    for (const h of host ? [host] : hosts.values())
      for (const line of h.tail.read()) {
        // A message entered the queue (cleanup names it first): mail is moving, and a submission is in.
        const entered = CLEANUP.exec(line);
        if (entered) {
          lastMail = Date.now();
          const key = `${h.host.id} ${entered[2]}`;
          entering.get(key)?.(entered[1]!);
          entering.delete(key);
        }
        for (const activity of h.log.line(line)) {
          if (activity.type === 'accepted' || activity.type === 'delivered') lastMail = Date.now();
          context.emit(activity);
        }
      }
  };
  const emitAll = (activities: Activity[]) => {
    for (const a of activities) {
      if (a.type === 'accepted' || a.type === 'delivered') lastMail = Date.now();
      context.emit(a);
    }
  };
  const poll = setInterval(() => catchUp(), 50);
  poll.unref();

  const known = (hostId: string) => {
    const h = hosts.get(hostId);
    if (!h) throw new LabError(`no planned host "${hostId}"`);
    return h;
  };
  /** Each running host, as it was configured when it started or last reloaded. */
  const live = new Map<string, PostfixHost>();
  const version = await versions();
  const access = await mailAccess(plan, layout, passwords.cleartext, version.dovecot);
  /** Starts the host's Dovecot and waits for its LMTP socket, Postfix's way in. */
  const startDovecot = async (h: PostfixHost) => {
    await mustStart(...asHost(h.namespace, h.host.fqdn, 'dovecot', ['-c', h.dovecotConf!]));
    await until(() => existsSync(join(h.paths.postfixQueue, LMTP_SOCKET)), `${h.host.id}: Dovecot's LMTP socket`);
  };

  const mta: LabMta = {
    name: `${version.postfix} and ${version.dovecot}`,
    async start(hostId, options = {}) {
      const h = known(hostId);
      if (live.has(hostId)) return;
      // Only the instances started here are stopped on a failure (another's pid file may be stale).
      const started: LabOpendkim[] = [];
      try {
        for (const signer of h.signers) {
          started.push(signer);
          await startOpendkim(h.namespace, h.host.fqdn, signer);
        }
        await mustStart(...asHost(h.namespace, h.host.fqdn, ...withTerminal('postfix', ['-c', h.config, 'start'])));
      } catch (error) {
        for (const signer of started) await stopMaster(signer.pidFile);
        throw error;
      }
      live.set(hostId, h);
      if (h.dovecotConf) await startDovecot(h);
      if (options.linkUp !== false) await waitUntilAnswering(context.outside, layout.host(hostId));
    },
    async configure(hostId, next) {
      const host = next.hosts.get(hostId);
      if (!host) throw new LabError(`no host "${hostId}" in the plan to configure`);
      await configure(host, next);
      if (host.role === 'store') await access?.add(host);
    },
    async reload(hostId) {
      const was = live.get(hostId);
      if (!was) return;
      const h = known(hostId);
      // The milters first: each one Postfix names after its reload answers before it is handed mail.
      if (was.opendkimFiles !== h.opendkimFiles) {
        for (const signer of was.signers) await stopMaster(signer.pidFile);
        for (const signer of h.signers) await startOpendkim(h.namespace, h.host.fqdn, signer);
      }
      // A host that becomes a store needs Dovecot's LMTP before Postfix delivers there.
      if (h.dovecotConf && !was.dovecotConf) await startDovecot(h);
      // postfix(1) reload: the master rereads main.cf and master.cf, its daemons restart, and
      // qmgr resolves each queued recipient again (trivial-rewrite(8)) on its next attempt.
      await must(...inNamespace(h.namespace, ...withTerminal('postfix', ['-c', h.config, 'reload'])));
      if (was.dovecotConf && !h.dovecotConf) await stopMaster(join(was.paths.dovecotRun, 'master.pid'));
      // A new dovecot.conf: dovecot(1) reload, a SIGHUP to its master (users and passwords it reads by itself).
      else if (h.dovecotConf && was.dovecotConf && was.dovecotFiles !== h.dovecotFiles)
        await must(...inNamespace(h.namespace, 'dovecot', ['-c', h.dovecotConf, 'reload']));
      live.set(hostId, h);
    },
    async stop(hostId) {
      const h = live.get(hostId);
      if (!h) return;
      live.delete(hostId);
      if (h.dovecotConf) await stopMaster(join(h.paths.dovecotRun, 'master.pid'));
      await stopMaster(join(h.paths.postfixQueue, 'pid', 'master.pid'));
      for (const signer of h.signers) await stopMaster(signer.pidFile);
      // The log has ended for now: what waited for more of it is reported as it stands.
      catchUp(h);
      emitAll(h.log.flush());
    },
    async submit(hostId, envelope, message) {
      const h = known(hostId);
      lastMail = Date.now();
      // sendmail(1) leaves the message in the maildrop (durable) and does not name its queue id;
      // the log does, once pickup(8) has handed it to cleanup(8), by its Message-ID.
      const messageId = /^Message-ID:[ \t]*(<[^>\r\n]+>)/im.exec(headerOf(message))?.[1];
      const key = `${hostId} ${messageId}`;
      const queueId =
        messageId === undefined
          ? undefined
          : new Promise<string | undefined>((resolve) => {
              entering.set(key, resolve);
              setTimeout(() => {
                if (entering.get(key) !== resolve) return;
                entering.delete(key);
                resolve(undefined);
              }, 15_000).unref();
            });
      // Mail is moving until the host has taken it: settled() holds meanwhile, however slow sendmail is.
      submitting++;
      try {
        await must(
          ...inNamespace(h.namespace, 'sendmail', ['-C', h.config, '-i', '-f', envelope.from, '--', ...envelope.to]),
          {
            input: message,
          },
        );
        return await queueId;
      } catch (error) {
        entering.delete(key);
        throw error;
      } finally {
        submitting--;
        lastMail = Date.now();
      }
    },
    async queued(hostId) {
      const h = known(hostId);
      const out = await must(...inNamespace(h.namespace, 'postqueue', ['-c', h.config, '-j']));
      catchUp(h);
      return Promise.all(
        out
          .split('\n')
          .filter(Boolean)
          .map((line) => parseQueueLine(line, h)),
      );
    },
    async retry(hostId) {
      const h = known(hostId);
      await must(...inNamespace(h.namespace, 'postqueue', ['-c', h.config, '-f']));
    },
    maildirRoot: (hostId) => known(hostId).paths.mailRoot,
    async catchUp() {
      catchUp();
      return { lastMail, holding: submitting > 0 || [...hosts.values()].some((h) => h.log.holding) };
    },
    ...(access && { mailAccess: access.access }),
    async close() {
      clearInterval(poll);
      await Promise.allSettled([...live.keys()].map((id) => mta.stop(id)));
      await access?.close();
      for (const h of hosts.values()) h.tail.close();
    },
  };
  const started = await Promise.allSettled([...plan.hosts.keys()].map((hostId) => mta.start(hostId)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await mta.close();
    throw failed.reason;
  }
  return mta;
}

/** cleanup(8)'s first line about a message: `QID: message-id=<...>`. */
const CLEANUP = /\spostfix\/(?:[^[\s]+\/)?cleanup\[\d+\]: ([0-9A-Za-z]+): message-id=(<[^>]*>)/;

/** The header of an RFC 5322 message (up to the first empty line). */
function headerOf(message: Buffer): string {
  const text = message.subarray(0, 64 * 1024).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * `postqueue -j` output (postqueue(1) "JSON object members"): one message per line. Its attempts
 * come from the log; its next attempt, while it waits in the deferred queue, is that queue file's
 * modification time, which qmgr(8) sets to the time of the next try.
 */
async function parseQueueLine(line: string, host: PostfixHost): Promise<QueuedMessage> {
  const m = JSON.parse(line) as {
    queue_name: string;
    queue_id: string;
    arrival_time: number;
    message_size: number;
    sender: string;
    recipients: { address: string; delay_reason?: string }[];
  };
  return {
    queueId: m.queue_id,
    // showq names the null reverse-path MAILER-DAEMON (mail_queue.c: MAIL_ADDR_MAIL_DAEMON).
    from: m.sender === 'MAILER-DAEMON' ? '' : m.sender,
    arrival: m.arrival_time * 1000,
    size: m.message_size,
    attempts: host.log.attempts(m.queue_id),
    nextAttempt: m.queue_name === 'deferred' ? await deferredUntil(host.paths.postfixQueue, m.queue_id) : undefined,
    recipients: m.recipients.map((r) => ({ address: r.address, ...(r.delay_reason && { reason: r.delay_reason }) })),
  };
}

/** The modification time of a deferred queue file, wherever hash_queue_depth put it; undefined if gone. */
async function deferredUntil(queue: string, queueId: string): Promise<number | undefined> {
  const found = await run('find', [join(queue, 'deferred'), '-name', queueId, '-printf', '%T@\\n']);
  const seconds = Number(found.stdout.trim().split('\n')[0]);
  return found.stdout.trim() && Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

/**
 * Stops a daemon at once, as a host that dies: SIGTERM to its master's process group, SIGKILL to
 * what is left after a moment (both masters take seconds to wind down, and a host that goes
 * down does not wait for them). What Postfix acknowledged is on disk, and survives.
 */
async function stopMaster(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim().split(/\s+/)[0]);
  } catch {
    return; // not running
  }
  if (!(pid > 1)) return;
  const signal = (sig: NodeJS.Signals) => {
    let reached = false;
    for (const target of [-pid, pid])
      try {
        process.kill(target, sig);
        reached = true;
      } catch {
        // that one is gone
      }
    return reached;
  };
  if (!signal('SIGTERM')) return;
  const started = Date.now();
  while (livingInGroup(pid).length > 0) {
    if (Date.now() - started > STOP_GRACE_MS) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const STOP_GRACE_MS = 250;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new LabError(`${what} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** "Postfix 3.7.11", "Dovecot 2.3.19.1": as the installed ones say. */
async function versions(): Promise<{ postfix: string; dovecot: string }> {
  const postfix = (await run('postconf', ['-d', '-h', 'mail_version'])).stdout.trim();
  const dovecot = (await run('dovecot', ['--version'])).stdout.trim().split(/\s+/)[0];
  return { postfix: `Postfix ${postfix || '(version unknown)'}`, dovecot: `Dovecot ${dovecot || '(version unknown)'}` };
}

interface Accounts {
  readonly postfix: number;
  readonly dovecotGroup: number;
  /** The mailboxes' owner; `line` and `groupLine` when the lab adds it to its own namespaces. */
  readonly vmail: { readonly uid: number; readonly gid: number; readonly line?: string; readonly groupLine?: string };
  /** The opendkim user, asked for only when a host signs (the machine may lack the package otherwise). */
  opendkim(): { readonly uid: number; readonly gid: number };
  /** The machine's /etc/passwd and /etc/group, each ending in a newline. */
  readonly passwd: string;
  readonly group: string;
}

/**
 * The system users the files name. The machine's own `vmail` when it has one; otherwise one the
 * lab adds to copies of /etc/passwd and /etc/group that only its namespaces see (/etc/netns),
 * with the first free uid from 5000 (Dovecot refuses uids below first_valid_uid, 500).
 */
async function systemAccounts(): Promise<Accounts> {
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  const passwd = line(await readFile('/etc/passwd', 'utf8'));
  const group = line(await readFile('/etc/group', 'utf8'));
  const entries = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':'));
  const user = (name: string) => entries(passwd).find((e) => e[0] === name);
  const groupId = (name: string) => entries(group).find((e) => e[0] === name)?.[2];
  const postfix = user('postfix');
  const dovecot = groupId('dovecot');
  if (!postfix || dovecot === undefined)
    throw new LabError(
      'the lab runs Postfix and Dovecot, and this machine has no postfix user or dovecot group: install postfix and dovecot-core',
    );
  const opendkim = () => {
    const entry = user('opendkim');
    if (!entry || groupId('opendkim') === undefined)
      throw new LabError(
        'the lab runs OpenDKIM for the hosts that sign, and this machine has no opendkim user: install opendkim',
      );
    return { uid: Number(entry[2]), gid: Number(entry[3]) };
  };
  const common = { postfix: Number(postfix[2]), dovecotGroup: Number(dovecot), opendkim, passwd, group };
  const vmail = user('vmail');
  if (vmail) return { ...common, vmail: { uid: Number(vmail[2]), gid: Number(vmail[3]) } };
  const taken = new Set([...entries(passwd).map((e) => Number(e[2])), ...entries(group).map((e) => Number(e[2]))]);
  let id = 5000;
  while (taken.has(id)) id++;
  return {
    ...common,
    vmail: {
      uid: id,
      gid: id,
      line: `vmail:x:${id}:${id}:mxplan lab mailboxes:/nonexistent:/usr/sbin/nologin\n`,
      groupLine: `vmail:x:${id}:\n`,
    },
  };
}

/**
 * The passwd and group files of a host's namespace, where they differ from the machine's: a
 * store gets the lab's `vmail` (when the machine has none); a host that signs has postfix in
 * the opendkim group, as Debian's `adduser postfix opendkim` does (opendkim.ts).
 */
function namespaceAccounts(
  accounts: Accounts,
  needs: { readonly vmail: boolean; readonly postfixInOpendkim: boolean },
): { passwd?: string; group?: string } {
  const addVmail = needs.vmail && accounts.vmail.line !== undefined;
  let group = accounts.group;
  if (needs.postfixInOpendkim)
    group = group.replace(/^(opendkim:[^:\n]*:[^:\n]*:)([^\n]*)$/m, (all, head: string, members: string) => {
      const list = members.split(',').filter(Boolean);
      return list.includes('postfix') ? all : `${head}${[...list, 'postfix'].join(',')}`;
    });
  if (addVmail) group += accounts.vmail.groupLine!;
  return {
    ...(addVmail && { passwd: accounts.passwd + accounts.vmail.line }),
    ...(group !== accounts.group && { group }),
  };
}

/**
 * A random password for every user with a mailbox on a store, made for the run: the hashes go
 * through a passwords file read as `mxplan mta --passwords` reads it ({SSHA512}, salted SHA-512,
 * a scheme Dovecot knows); the passwords stay with the lab (and in <state>/logins, for a person).
 * A user keeps their password (and its hash) across a switch of plans; a new user gets one.
 */
function throwawayPasswords(stateDir: string) {
  const cleartext = new Map<string, string>();
  const hashes = new Map<string, string>();
  const file = join(stateDir, 'passwords');
  return {
    cleartext: cleartext as ReadonlyMap<string, string>,
    /** The hashes of the plan's stored users, as `mxplan mta --passwords <file>` reads them for it. */
    async hashesFor(plan: Plan): Promise<Passwords> {
      const lines: string[] = [];
      for (const domain of plan.domains.values())
        for (const user of domain.users.values()) {
          if (user.home?.role !== 'store') continue;
          if (!hashes.has(user.address)) {
            const password = randomBytes(12).toString('base64url');
            const salt = randomBytes(8);
            const digest = createHash('sha512').update(password).update(salt).digest();
            cleartext.set(user.address, password);
            hashes.set(user.address, `{SSHA512}${Buffer.concat([digest, salt]).toString('base64')}`);
          }
          lines.push(`${user.address}:${hashes.get(user.address)!}`);
        }
      await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      await writeFile(
        join(stateDir, 'logins'),
        [...cleartext].map(([address, password]) => `${address} ${password}`).join('\n') + '\n',
        { mode: 0o600 },
      );
      return readPasswords(file, plan);
    },
  };
}

/**
 * IMAP and POP3 at each store, through loopback forwarders whose connections are opened in the
 * store's own namespace, to its own address, which Dovecot counts as secured: a plaintext login
 * is taken there (`ssl = required` asks TLS of every other client; docs/lab.md, "Not yet").
 */
async function mailAccess(
  plan: Plan,
  layout: MtaContext['layout'],
  passwords: ReadonlyMap<string, string>,
  server: string,
) {
  const stores = [...plan.hosts.values()].filter((h) => h.role === 'store');
  if (stores.length === 0) return undefined;
  const helpers: NamespaceSockets[] = [];
  const forwarders = new Map<string, Forwarder>();
  /** A store's forwarders (a store a switch adds too; one that had them keeps them). */
  const add = async (store: Host) => {
    if (forwarders.has(`${store.id} imap`)) return;
    const sockets = await NamespaceSockets.start(layout.host(store.id).namespace);
    helpers.push(sockets);
    // At its first address as it is now (a switch may move it).
    const address = () => {
      const machine = layout.host(store.id);
      return machine.ipv4[0] ?? machine.ipv6[0]!;
    };
    for (const [protocol, port] of [
      ['imap', 143],
      ['pop3', 110],
    ] as const)
      forwarders.set(`${store.id} ${protocol}`, await tcpForwarder(() => sockets.connect(address(), port)));
  };
  try {
    for (const store of stores) await add(store);
  } catch (error) {
    await Promise.allSettled([...forwarders.values()].map((f) => f.close()));
    await Promise.allSettled(helpers.map((h) => h.stop()));
    throw error;
  }
  const access: MailAccess = {
    server,
    endpointFor: (hostId, protocol) => forwarders.get(`${hostId} ${protocol}`)?.endpoint,
    password: (address) => passwords.get(address),
  };
  return {
    access,
    add,
    close: async () => {
      await Promise.allSettled([...forwarders.values()].map((f) => f.close()));
      await Promise.allSettled(helpers.map((h) => h.stop()));
    },
  };
}
