/**
 * Postfix and Dovecot's own tools on generated files, for tests. Nothing here starts a daemon.
 *
 * `postfix check` and `postmap` insist that inet_interfaces names addresses of this machine, and
 * the generated files name the planned ones (192.0.2.10, ...). So they run in a network namespace
 * of their own (unshare -n) with the host's planned addresses on its loopback device: the same
 * files, unchanged, and nothing reachable from there. `postfix check` prints its errors only to a
 * terminal or syslog (the test machines have none), so it runs under script(1), which gives it one.
 */
import { execFile } from 'node:child_process';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { MtaPaths, PathsOf } from '../../../src/mta/paths.js';
import type { Host } from '../../../src/topology/types.js';
import { requireTool } from '../../helpers/tools.js';

export const MTA_TOOLS = ['postconf', 'postmap', 'postfix', 'doveconf', 'opendkim', 'unshare', 'ip', 'script'] as const;

/** True when every tool is there (tests skip outside CI otherwise; under CI a missing tool fails). */
export function haveMtaTools(): boolean {
  return MTA_TOOLS.every((tool) => requireTool(tool)) && isRoot();
}

function isRoot(): boolean {
  if (userInfo().uid === 0) return true;
  if (process.env.CI) throw new Error('the Postfix checks run as root (network namespaces, queue ownership)');
  return false;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { maxBuffer: 256 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Single-quoted for sh. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs a shell script in a new network namespace holding only the host's planned addresses (on lo). */
export function inHostNamespace(host: Host, script: string): Promise<Run> {
  const setup = [
    'set -e',
    'ip link set lo up',
    ...host.ipv4.map((a) => `ip addr add ${a}/32 dev lo`),
    ...host.ipv6.map((a) => `ip -6 addr add ${a}/128 dev lo nodad`),
    'set +e',
  ];
  return run('unshare', ['-n', '--', 'sh', '-c', [...setup, script].join('\n')]);
}

/** Paths for one test run: every host's state under `root/<host>/`, as the lab will have them. */
export function testPaths(root: string): PathsOf {
  return (host) => {
    const base = join(root, 'state', host.id);
    return {
      postfixQueue: join(base, 'spool'),
      postfixData: join(base, 'postfix-data'),
      postfixLog: join(base, 'log', 'postfix.log'),
      dovecotConfig: join(root, 'out', host.id, 'dovecot'),
      dovecotRun: join(base, 'dovecot-run'),
      dovecotState: join(base, 'dovecot-state'),
      dovecotLog: join(base, 'log', 'dovecot.log'),
      mailRoot: join(base, 'vmail'),
      opendkimConfig: join(root, 'out', host.id, 'opendkim'),
      opendkimRun: join(base, 'opendkim-run'),
      dkimKeys: join(base, 'dkimkeys'),
      tlsKey: join(base, 'tls', 'key.pem'),
      tlsChain: join(base, 'tls', 'chain.pem'),
      tlsTrust: join(root, 'state', 'tls', 'ca.crt'),
    };
  };
}

/** What `postfix check` needs to exist: the queue directory (root's), the data directory (postfix's), the log's. */
export async function preparePostfixState(paths: MtaPaths): Promise<void> {
  await mkdir(paths.postfixQueue, { recursive: true, mode: 0o755 });
  await mkdir(paths.postfixData, { recursive: true });
  await mkdir(join(paths.postfixLog, '..'), { recursive: true });
  const postfix = await run('id', ['-u', 'postfix']);
  await chown(paths.postfixData, Number(postfix.stdout.trim()), 0);
}

/** `postfix -c DIR check` in the host's namespace, under a terminal: its whole output, and its exit code. */
export async function postfixCheck(dir: string, host: Host): Promise<Run> {
  return inHostNamespace(host, `script -qec ${sh(`postfix -c ${sh(dir)} check`)} /dev/null`);
}

/** `postconf -c DIR -x name...`: the values with $names expanded, as Postfix reads them. */
export async function postconfValues(dir: string, names: readonly string[]): Promise<Map<string, string>> {
  const result = await run('postconf', ['-c', dir, '-x', ...names]);
  if (result.code !== 0 || result.stderr !== '') throw new Error(`postconf -x: ${result.stderr}`);
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n').filter(Boolean)) {
    const eq = line.indexOf(' =');
    values.set(line.slice(0, eq), line.slice(eq + 2).trim());
  }
  return values;
}

/**
 * `postmap -c DIR -q - TABLE` for several tables, the keys of each on stdin, all in one namespace.
 * Returns, per table, the keys found with their values; any warning postmap prints is an error.
 */
export async function postmapQueries(
  dir: string,
  host: Host,
  scratch: string,
  queries: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, Map<string, string>>> {
  const tables = [...queries.keys()];
  await mkdir(scratch, { recursive: true });
  await Promise.all(
    tables.map((_, i) => writeFile(join(scratch, `keys.${i}`), `${queries.get(tables[i]!)!.join('\n')}\n`)),
  );
  const script = tables
    .map((table, i) => {
      const at = (name: string) => sh(join(scratch, `${name}.${i}`));
      return `postmap -c ${sh(dir)} -q - ${sh(table)} < ${at('keys')} > ${at('found')} 2> ${at('errors')}; echo $? > ${at('code')}`;
    })
    .join('\n');
  const result = await inHostNamespace(host, script);
  if (result.code !== 0) throw new Error(`postmap in a namespace: ${result.stderr}`);
  const found = new Map<string, Map<string, string>>();
  for (const [i, table] of tables.entries()) {
    const errors = await readFile(join(scratch, `errors.${i}`), 'utf8');
    // postmap -q exits 1 when a key is missing; only what it says counts.
    if (errors !== '') throw new Error(`postmap -q - ${table}: ${errors}`);
    const values = new Map<string, string>();
    for (const line of (await readFile(join(scratch, `found.${i}`), 'utf8')).split('\n').filter(Boolean)) {
      const tab = line.indexOf('\t');
      values.set(line.slice(0, tab), line.slice(tab + 1));
    }
    found.set(table, values);
  }
  return found;
}
