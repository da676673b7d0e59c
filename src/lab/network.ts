/**
 * The lab's network, made with iproute2 and touching nothing but its own namespaces:
 *
 * - a switch namespace holding one bridge, br0;
 * - per machine (layout.ts) a namespace, and a veth pair created in the switch namespace with
 *   its peer moved straight into the machine's (`ip -n switch link add p<port> type veth peer
 *   name eth0 netns <machine>`), so no link ever exists in the root namespace;
 * - on each eth0 the machine's planned addresses (/32, /128, without duplicate address
 *   detection), an on-link route to every other machine's address of a family it has, and a
 *   permanent neighbour entry for each. No default route: an address outside the lab is
 *   unreachable (ENETUNREACH), and the bridge leads nowhere else. A machine without IPv6
 *   addresses has IPv6 off on its link, so it cannot reach IPv6 hosts through a link-local
 *   address either (as on the real network, a host reaches only the families it has). The
 *   outside's routes name its own address as their source: the outside domains' exchanges
 *   beside it only take connections.
 *
 * A switch to a new plan joins the machines of its new hosts to the running switch the same way
 * (each already there gets routes and neighbour entries for them), and moves a host whose
 * addresses change to its new ones, on every machine at once.
 *
 * Cutting a machine off sets the switch end of its link down. With the neighbours permanent, no
 * address resolution fails fast (an ARP failure would say "no route to host" within seconds):
 * frames for it go nowhere, and connections time out, as through a dead link.
 *
 * `/etc/netns/<namespace>/resolv.conf` names the planned name servers: `ip netns exec` mounts
 * it over /etc/resolv.conf for what runs there (ip-netns(8)). Other files there (passwd, group)
 * are added by the engines that need them; the whole directory goes with the namespace.
 */
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalIP, familyOf, type Family } from '../topology/ip.js';
import { inNamespace, LabError, must, mustSync, run } from './exec.js';
import type { LabLayout, Machine } from './layout.js';

export const NETNS_ETC = '/etc/netns';

export interface LabNetwork {
  readonly layout: LabLayout;
  /** Every namespace of the lab, the switch first (those joined later at the end). */
  readonly namespaces: readonly string[];
  /**
   * Joins machines of the layout that have no namespace yet (a switch's new hosts) to the
   * switch: namespace, link, addresses, resolv.conf, and on-link routes and neighbour entries
   * both ways with every machine there.
   */
  join(machines: readonly Machine[]): Promise<void>;
  /** Moves a machine from its addresses to others (`after`, already in the layout), on its link and on every other machine. */
  readdress(before: Machine, after: Machine): Promise<void>;
  /** Sets the switch end of the machine's link down: nothing reaches it, nothing leaves it. */
  cut(machine: Machine): Promise<void>;
  /** Sets it up again. */
  restore(machine: Machine): Promise<void>;
  /** Writes a file into /etc/netns/<namespace>/, mounted over /etc/<name> for what runs there. */
  etcFile(machine: Machine, name: string, text: string): Promise<void>;
  /** Kills what still runs in the namespaces, removes them and their /etc/netns directories. Idempotent. */
  destroy(): Promise<void>;
  /** The same, synchronously (at process exit, when nothing asynchronous runs any more). */
  destroySync(): void;
}

export async function buildNetwork(layout: LabLayout): Promise<LabNetwork> {
  const { machines } = layout;
  const namespaces = [layout.names.switch, ...machines.map((m) => m.namespace)];
  let destroyed = false;
  const made: string[] = [];
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await removeNamespaces(made);
  };
  const makeNamespace = async (ns: string) => {
    await must('ip', ['netns', 'add', ns]);
    made.push(ns);
    await mkdir(join(NETNS_ETC, ns), { recursive: true });
  };
  const configure = async (machine: Machine) => {
    await writeFile(join(NETNS_ETC, machine.namespace, 'resolv.conf'), resolvConf(layout, machine));
    if (machine.ipv6.length === 0) await sysctls(machine.namespace, ['net/ipv6/conf/eth0/disable_ipv6']);
    await batch(machine.namespace, [...linkCommands(machine), ...addressCommands(layout.machines, machine)]);
  };
  try {
    for (const ns of namespaces) await makeNamespace(ns);
    // The switch: no IPv6 of its own (no link-local addresses on its ports), one bridge.
    await sysctls(layout.names.switch, ['net/ipv6/conf/all/disable_ipv6', 'net/ipv6/conf/default/disable_ipv6']);
    await batch(layout.names.switch, [
      'link set lo up',
      'link add br0 type bridge',
      'link set br0 up',
      ...machines.flatMap(switchPort),
    ]);
    for (const machine of machines) await configure(machine);
  } catch (error) {
    await destroy();
    throw error;
  }
  const link = (machine: Machine, state: 'up' | 'down') =>
    must('ip', ['-n', layout.names.switch, 'link', 'set', `p${machine.port}`, state]).then(() => undefined);
  return {
    layout,
    namespaces,
    async join(joining) {
      for (const machine of joining) {
        await makeNamespace(machine.namespace);
        namespaces.push(machine.namespace);
        await batch(layout.names.switch, switchPort(machine));
        await configure(machine);
      }
      // Every machine already there reaches the new ones, as they reach it.
      for (const other of layout.machines.filter((m) => !joining.includes(m)))
        await batch(
          other.namespace,
          joining.flatMap((machine) => routesTo(other, machine)),
        );
    },
    async readdress(before, after) {
      const self = after.namespace;
      // Its own link, anew: no address, route or neighbour of before is left.
      await batch(self, ['addr flush dev eth0', 'route flush dev eth0', 'neigh flush dev eth0 nud permanent'], true);
      await setSysctl(self, 'net/ipv6/conf/eth0/disable_ipv6', after.ipv6.length === 0 ? 1 : 0);
      await batch(self, addressCommands(layout.machines, after));
      const was = [...before.ipv4, ...before.ipv6].map(canonicalIP);
      const now = [...after.ipv4, ...after.ipv6].map(canonicalIP);
      const gone = was.filter((a) => !now.includes(a));
      const fresh = now.filter((a) => !was.includes(a));
      for (const other of layout.machines.filter((m) => m !== after)) {
        const families = new Set([...other.ipv4, ...other.ipv6].map(familyOf));
        const removals = gone
          .filter((a) => families.has(familyOf(a)))
          .flatMap((a) => [`route del ${a}/${familyOf(a) === 4 ? 32 : 128} dev eth0`, `neigh del ${a} dev eth0`]);
        await batch(other.namespace, removals, true);
        await batch(other.namespace, routesTo(other, after, fresh));
      }
    },
    cut: (machine) => link(machine, 'down'),
    restore: (machine) => link(machine, 'up'),
    etcFile: (machine, name, text) => writeFile(join(NETNS_ETC, machine.namespace, name), text),
    destroy,
    destroySync() {
      if (destroyed) return;
      destroyed = true;
      removeNamespacesSync(made);
    },
  };
}

/** The switch end of a machine's link, its peer moved straight into the machine's namespace. */
function switchPort(m: Machine): string[] {
  return [
    `link add p${m.port} type veth peer name eth0 netns ${m.namespace}`,
    `link set p${m.port} master br0`,
    `link set p${m.port} up`,
  ];
}

function linkCommands(self: Machine): string[] {
  return ['link set lo up', `link set eth0 address ${self.mac}`, 'link set eth0 up'];
}

/** A machine's addresses on its eth0, and its routes and neighbours to every other machine. */
function addressCommands(machines: readonly Machine[], self: Machine): string[] {
  return [
    ...self.ipv4.map((a) => `addr add ${a}/32 dev eth0`),
    ...self.ipv6.map((a) => `addr add ${a}/128 dev eth0 nodad`),
    ...machines.filter((other) => other.namespace !== self.namespace).flatMap((other) => routesTo(self, other)),
  ];
}

/**
 * The on-link routes and permanent neighbour entries `self` has for `other`'s addresses (or only
 * `addresses` of them) of the families it has.
 */
function routesTo(self: Machine, other: Machine, addresses = [...other.ipv4, ...other.ipv6]): string[] {
  const families = new Set([...self.ipv4, ...self.ipv6].map(familyOf));
  // The outside dials from its own address, never from an outside domain's exchange beside it
  // (RFC 6724 would not tell 3fff::1 from 3fff::25).
  const source = (family: Family | undefined) =>
    self.kind === 'outside' ? ` src ${(family === 4 ? self.ipv4 : self.ipv6)[0]}` : '';
  const lines: string[] = [];
  for (const address of addresses) {
    const family = familyOf(address);
    if (!families.has(family)) continue;
    const prefix = family === 4 ? 32 : 128;
    // replace: a machine may have it already (one that joined while this one was moving).
    lines.push(`route replace ${address}/${prefix} dev eth0${source(family)}`);
    lines.push(`neigh replace ${address} lladdr ${other.mac} dev eth0 nud permanent`);
  }
  return lines;
}

/** The planned name servers a machine can reach, at most three (resolv.conf(5) MAXNS). */
function resolvConf(layout: LabLayout, machine: Machine): string {
  const families = new Set([...machine.ipv4, ...machine.ipv6].map(familyOf));
  const servers = layout.nameServerAddresses.filter((a) => families.has(familyOf(a))).slice(0, 3);
  return [
    `# mxplan lab ${layout.names.prefix}: the plan's own name servers, nothing else.`,
    ...servers.map((a) => `nameserver ${a}`),
    '',
  ].join('\n');
}

/** Runs iproute2 commands in a namespace; `force`: on past those that fail (a removal of what is gone). */
async function batch(namespace: string, commands: readonly string[], force = false): Promise<void> {
  if (commands.length === 0) return;
  const args = ['-n', namespace, ...(force ? ['-force'] : []), '-batch', '-'];
  if (force) await run('ip', args, { input: `${commands.join('\n')}\n` });
  else await must('ip', args, { input: `${commands.join('\n')}\n` });
}

async function setSysctl(namespace: string, path: string, value: 0 | 1): Promise<void> {
  const [command, args] = inNamespace(namespace, 'sh', ['-c', `echo ${value} > /proc/sys/${path}`]);
  await must(command, args);
}

/** Sets sysctls (paths under /proc/sys) to 1 inside a namespace, where /proc/sys/net is its own. */
async function sysctls(namespace: string, paths: readonly string[]): Promise<void> {
  const script = paths.map((p) => `echo 1 > /proc/sys/${p}`).join(' && ');
  const [command, args] = inNamespace(namespace, 'sh', ['-c', script]);
  await must(command, args);
}

/** The pids of the processes in a namespace (`ip netns pids`); none when it is gone. */
export async function pidsIn(namespace: string): Promise<number[]> {
  const result = await run('ip', ['netns', 'pids', namespace]);
  return result.code === 0 ? result.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

function pidsInSync(namespace: string): number[] {
  try {
    return mustSync('ip', ['netns', 'pids', namespace]).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function kill(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * Kills every process in the namespaces (repeatedly: a daemon's master may fork while it is
 * killed), then deletes them and their /etc/netns directories.
 */
export async function removeNamespaces(namespaces: readonly string[]): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = (await Promise.all(namespaces.map(pidsIn))).flat();
    if (pids.length === 0) break;
    kill(pids);
    await new Promise((r) => setTimeout(r, 20));
  }
  const failures: string[] = [];
  for (const ns of namespaces) {
    const result = await run('ip', ['netns', 'del', ns]);
    if (result.code !== 0 && !/No such file/.test(result.stderr)) failures.push(`${ns}: ${result.stderr.trim()}`);
    await rm(join(NETNS_ETC, ns), { recursive: true, force: true });
  }
  await rmdir(NETNS_ETC).catch(() => {}); // when no other lab (or tool) has a directory there
  if (failures.length > 0) throw new LabError(`cannot remove the lab's namespaces: ${failures.join('; ')}`);
}

function removeNamespacesSync(namespaces: readonly string[]): void {
  for (let round = 0; round < 50; round++) {
    const pids = namespaces.flatMap(pidsInSync);
    if (pids.length === 0) break;
    kill(pids);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  for (const ns of namespaces) {
    try {
      mustSync('ip', ['netns', 'del', ns]);
    } catch {
      // already gone, or nothing more can be done at exit
    }
    rmSync(join(NETNS_ETC, ns), { recursive: true, force: true });
  }
  try {
    rmdirSync(NETNS_ETC);
  } catch {
    // not empty: another lab's, or another tool's
  }
}

/** The names of every network namespace on the machine (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const result = await run('ip', ['netns', 'list']);
  return result.stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

/** The directories under /etc/netns (a lab killed between making one and its namespace leaves one alone). */
export async function listNetnsEtc(): Promise<string[]> {
  return readdir(NETNS_ETC).catch(() => []);
}
