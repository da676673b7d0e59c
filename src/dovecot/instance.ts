/**
 * One Dovecot per store, running the configuration `mxplan mta` writes (mta/dovecot.ts, the
 * command's own code) with only its paths (MtaPaths) changed, and one clearly separate block
 * appended to dovecot.conf for where it runs (later settings win in dovecot.conf, and a section
 * named again is merged):
 *
 * - `listen` and the imap and pop3 listeners' ports: loopback ports of the caller's; imaps and
 *   pop3s closed (ports 993 and 995 need root), so TLS is STARTTLS on those ports;
 * - `protocols = imap pop3`: the caller delivers into the Maildirs itself, so no LMTP socket;
 * - the user it runs as, for every process (Dovecot's "running as non-root" setup: the
 *   internal, login and mail users are the caller's own, the login processes unchrooted),
 *   since the Maildirs are the caller's files. Dovecot never gives mail access to root
 *   (mail-storage-service: "Mail access not allowed for root"), so a caller running as root
 *   names an ordinary `user` whose files the Maildirs are, or cannot run IMAP and POP3.
 *
 * Passwords: `logins` (address → cleartext) become {SSHA512} hashes (salted SHA-512, a scheme
 * Dovecot knows), as `mxplan mta --passwords` reads them. The master runs in the foreground
 * (`dovecot -F`) as the caller's child: stop() ends it by its pid, and its children with it.
 *
 * The lab (src/lab/postfix.ts) can take from here `passwordHashes` and `runAsUser`; it runs
 * Dovecot in network namespaces as root, with the `vmail` user the configuration names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { userInfo } from 'node:os';
import { ResourceError } from '../errors.js';
import type { Passwords } from '../mta/dovecot.js';
import { dovecotFiles } from '../mta/dovecot.js';
import type { MtaPaths } from '../mta/paths.js';
import { hostPolicy } from '../routing/policy.js';
import type { Plan } from '../topology/types.js';

export interface DovecotOptions {
  readonly plan: Plan;
  readonly hostId: string;
  readonly paths: MtaPaths;
  /** Address → cleartext password (only the host's own users log in). */
  readonly logins: ReadonlyMap<string, string>;
  readonly address: string;
  /** 0: a free port is picked (Dovecot itself takes no port 0: it means "no listener"). */
  readonly ports: { readonly imap: number; readonly pop3: number };
}

export interface DovecotInstance {
  readonly imap: { readonly host: string; readonly port: number };
  readonly pop3: { readonly host: string; readonly port: number };
  stop(): Promise<void>;
}

/** Why Dovecot cannot run here, or undefined when it can. */
export function dovecotUnavailable(): string | undefined {
  if (!dovecotBinary()) return 'Dovecot is not installed (dovecot-core, dovecot-imapd, dovecot-pop3d)';
  if (process.getuid?.() === 0)
    return 'Dovecot gives no mail access to root: run the sandbox as an ordinary user for IMAP and POP3';
  return undefined;
}

/** {SSHA512} hashes of cleartext passwords, as a passwords file of `mxplan mta --passwords` holds them. */
export function passwordHashes(logins: ReadonlyMap<string, string>): Passwords {
  return new Map(
    [...logins].map(([address, password]) => {
      const salt = randomBytes(8);
      const digest = createHash('sha512').update(password).update(salt).digest();
      return [address, `{SSHA512}${Buffer.concat([digest, salt]).toString('base64')}`];
    }),
  );
}

/** The block that runs every Dovecot process as one ordinary user (Dovecot's non-root setup). */
export function runAsUser(user: string, group: string): string[] {
  return [
    `mail_uid = ${user}`,
    `mail_gid = ${group}`,
    `default_internal_user = ${user}`,
    `default_internal_group = ${group}`,
    `default_login_user = ${user}`,
    // Only root may chroot: the login processes and anvil run unchrooted.
    'service anvil {',
    '  chroot =',
    '}',
  ];
}

export async function startDovecot(options: DovecotOptions): Promise<DovecotInstance> {
  const { paths, address } = options;
  const files = dovecotFiles(hostPolicy(options.plan, options.hostId), paths, passwordHashes(options.logins));
  const imap = options.ports.imap || (await freePort(address));
  const pop3 = options.ports.pop3 || (await freePort(address));
  const me = userInfo();
  const lines = [
    '',
    '# mxplan sandbox: where this Dovecot runs (src/dovecot/instance.ts); everything above is',
    "# `mxplan mta`'s, with the sandbox's paths.",
    `listen = ${address}`,
    'protocols = imap pop3',
    ...runAsUser(me.username, groupName(me.gid)),
    ...listener('imap', imap),
    ...listener('pop3', pop3),
  ];
  for (const dir of [paths.dovecotConfig, paths.dovecotRun, paths.dovecotState, paths.mailRoot])
    await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of files)
    await writeFile(join(paths.dovecotConfig, name), name === 'dovecot.conf' ? text + lines.join('\n') + '\n' : text, {
      mode: 0o600,
    });
  const conf = join(paths.dovecotConfig, 'dovecot.conf');
  const binary = dovecotBinary();
  if (!binary) throw new ResourceError(dovecotUnavailable()!);
  const child = spawn(binary, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {});
  try {
    await until(
      child,
      () => answers(address, imap),
      () => stderr,
    );
    await until(
      child,
      () => answers(address, pop3),
      () => stderr,
    );
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    imap: { host: address, port: imap },
    pop3: { host: address, port: pop3 },
    stop: () =>
      (stopping ??= (async () => {
        // SIGTERM: the master stops its children and removes its pid file (master(8) of Dovecot).
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      })()),
  };
}

function listener(protocol: 'imap' | 'pop3', port: number): string[] {
  return [
    `service ${protocol}-login {`,
    '  chroot =',
    `  inet_listener ${protocol} {`,
    `    port = ${port}`,
    '  }',
    // imaps and pop3s are at privileged ports, which the caller may not bind: STARTTLS only.
    `  inet_listener ${protocol}s {`,
    '    port = 0',
    '  }',
    '}',
  ];
}

/** Waits for the port to answer, up to ten seconds; fails with Dovecot's own words when it exits first. */
async function until(child: ChildProcess, ready: () => Promise<boolean>, stderr: () => string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new ResourceError(`dovecot exited at start: ${stderr().trim() || `status ${child.exitCode}`}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ResourceError(`dovecot did not answer within 10 s${stderr() ? `: ${stderr().trim()}` : ''}`);
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port the system gives free now (Dovecot cannot be told port 0 and say which it took). */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The name of a group id, from /etc/group (Dovecot's group settings take names). */
function groupName(gid: number): string {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === gid) return name;
  }
  return String(gid);
}

/** Where dovecot(1) is: on PATH, or in the sbin directories an ordinary user's PATH may lack. */
function dovecotBinary(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'dovecot'), constants.X_OK);
      return join(dir, 'dovecot');
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
