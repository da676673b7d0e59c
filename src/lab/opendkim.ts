/**
 * OpenDKIM beside the lab's Postfix, on each host that signs (the hosts `mxplan mta` writes an
 * opendkim/ for): every instance the host runs (one per signature algorithm, RSA and Ed25519:
 * OPENDKIM_INSTANCES), in the host's namespace, from the generated configurations with the lab's
 * paths, as the `opendkim` system user (UserID), each one of Postfix's milters on its UNIX socket
 * in the queue directory. They start before Postfix and stop with it.
 *
 * Its private keys are where production keeps them, `/etc/dkimkeys` (Debian's, opendkim's and
 * 0700), seen from inside the host's namespace: the lab installs each host's keys in
 * `/etc/netns/<namespace>/dkimkeys/`, which `ip netns exec` mounts over `/etc/dkimkeys` for what
 * runs there, so the KeyTable names the production path. Not under the state directory: with
 * RequireSafeKeys, OpenDKIM refuses a key when any directory above it can be written by other
 * users ("key data is not secure: /tmp can be read or written by other users"), as /tmp and a
 * state directory below it can, and then answers the message with an error, so Postfix would
 * hold every message (the hung milter trial). /, /etc and a directory /etc/netns mounts are root's.
 *
 * Postfix reaches the socket as Debian's own setup has it (`adduser postfix opendkim`): the
 * socket's directory is opendkim's, 0750, the socket 0770 (UMask 007), and postfix is a member
 * of the opendkim group in the group file the lab gives the namespace (/etc/netns/<ns>/group),
 * which Postfix's daemons take up with initgroups(3) when they drop to the postfix user. The
 * machine's own /etc/group is never changed.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { OPENDKIM_SOCKET_DIR, type OpendkimInstance } from '../mta/opendkim.js';
import { PRODUCTION_PATHS, type MtaPaths } from '../mta/paths.js';
import { asHost, LabError, mustStart } from './exec.js';
import { NETNS_ETC } from './network.js';

/** The `opendkim` system user (Debian package opendkim). */
export interface OpendkimAccount {
  readonly uid: number;
  readonly gid: number;
}

/** One OpenDKIM instance of a host in the lab. */
export interface LabOpendkim {
  readonly algorithm: string;
  readonly config: string;
  readonly pidFile: string;
  readonly socket: string;
}

/** Where a host's keys are seen from inside its namespace: the production path (PRODUCTION_PATHS.dkimKeys). */
export const LAB_DKIM_KEYS = PRODUCTION_PATHS.dkimKeys;

/**
 * Makes what a signing host's OpenDKIM instances need: their run directory and socket directory
 * (opendkim's, one for all), and their keys (`path`, where the KeyTable names it; `file`, the topology's), copied (committed test keys are 0644) to 0600 files
 * of the opendkim user in a 0700 directory of its own.
 */
export async function prepareOpendkim(
  namespace: string,
  paths: MtaPaths,
  keys: readonly { readonly path: string; readonly file: string }[],
  account: OpendkimAccount,
  instances: readonly OpendkimInstance[],
): Promise<LabOpendkim[]> {
  const own = async (dir: string, mode: number) => {
    await mkdir(dir, { recursive: true, mode });
    await chmod(dir, mode);
    await chown(dir, account.uid, account.gid);
  };
  await own(paths.opendkimRun, 0o755);
  await own(join(paths.postfixQueue, OPENDKIM_SOCKET_DIR), 0o750);
  // ip netns exec mounts it over the machine's own directory, which must be there (Debian's opendkim makes it).
  if (!existsSync(LAB_DKIM_KEYS))
    throw new LabError(`the lab runs OpenDKIM, and this machine has no ${LAB_DKIM_KEYS}: install opendkim`);
  const keyDir = join(NETNS_ETC, namespace, basename(LAB_DKIM_KEYS));
  await own(keyDir, 0o700);
  for (const key of keys) {
    if (dirname(key.path) !== LAB_DKIM_KEYS)
      throw new LabError(`the KeyTable names ${key.path}, outside ${LAB_DKIM_KEYS}, where the lab installs the keys`);
    const target = join(keyDir, basename(key.path));
    await copyFile(key.file, target);
    await chmod(target, 0o600);
    await chown(target, account.uid, account.gid);
  }
  return instances.map((i) => ({
    algorithm: i.algorithm,
    config: join(paths.opendkimConfig, i.config),
    pidFile: join(paths.opendkimRun, i.pidFile),
    socket: join(paths.postfixQueue, i.socket),
  }));
}

/**
 * Starts OpenDKIM in the host's namespace (it detaches itself, writing its PidFile) and waits
 * until its socket takes a connection. A configuration error is OpenDKIM's own message.
 */
export async function startOpendkim(namespace: string, fqdn: string, signer: LabOpendkim): Promise<void> {
  await rm(signer.pidFile, { force: true });
  await mustStart(...asHost(namespace, fqdn, 'opendkim', ['-x', signer.config]));
  const deadline = Date.now() + 20_000;
  while (!(await answers(signer.socket))) {
    if (Date.now() > deadline)
      throw new LabError(`OpenDKIM (${signer.algorithm}) of ${fqdn} does not answer on ${signer.socket}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when something accepts a connection on the UNIX socket (a filesystem path, no address of the lab). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
