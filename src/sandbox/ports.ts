/**
 * Stable ports for `mxplan sandbox`: chosen once, kept in <state>/ports.json, and used again on
 * every restart on the same state directory, so a mail client or a script configured yesterday
 * still reaches the same host today.
 *
 * `--ports <base>` lays them out from a base port, a block of ten per host in topology order,
 * each service on the digit of its well-known port (so with base 2500, mail1 is 2510-2519):
 *
 *   base + 3       DNS        (53)        base + 10k + 5   SMTP        (25)
 *   base + 8       dashboard  (8080)      base + 10k + 7   submission  (587)
 *                                         base + 10k + 3   IMAP        (143)
 *                                         base + 10k + 0   POP3        (110)
 *
 * (a relay-only host's block has its SMTP port alone), and the web hosts (the MTA-STS policy
 * hosts) in the blocks after the mail hosts, HTTPS on 3 (443).
 *
 * `--ports <file>` names them all in the form of ports.json. Without either, the first start
 * lets the system pick and ports.json keeps what it picked. A host the topology gained since gets
 * a port of its own on its first start; one it lost is forgotten.
 */
import { rename, writeFile } from 'node:fs/promises';
import { ResourceError } from '../errors.js';
import { portsFile } from '../state-layout.js';
import { readJsonFile } from './json-file.js';
import type { Plan } from '../topology/types.js';
import type { HostEndpoint, ServiceName } from './engine.js';

export interface PortPlan {
  readonly dns?: number;
  /** The dashboard's, when it was started. */
  readonly ui?: number;
  readonly hosts: Readonly<Record<string, Readonly<Partial<Record<ServiceName, number>>>>>;
  /** Each web host's HTTPS port. */
  readonly web?: Readonly<Record<string, number>>;
}

const SERVICE_DIGIT: Readonly<Record<ServiceName, number>> = { smtp: 5, submission: 7, imap: 3, pop3: 0 };
const SERVICES = Object.keys(SERVICE_DIGIT) as ServiceName[];

export function portsFromBase(plan: Plan, base: number): PortPlan {
  const blocks = plan.hosts.size + plan.web.size;
  const last = base + 10 * blocks + 9;
  if (last > 65535)
    throw new ResourceError(
      `base port ${base} leaves no room for ${blocks} hosts (ten ports each): the last would be ${last}`,
    );
  return {
    dns: base + 3,
    ui: base + 8,
    hosts: Object.fromEntries(
      [...plan.hosts.values()].map((host, i) => [
        host.id,
        // A relay-only host offers SMTP alone: no mailboxes to submit to or read (its block stays ten wide).
        Object.fromEntries(
          (host.role === 'store' ? SERVICES : ['smtp' as const]).map((s) => [
            s,
            base + 10 * (i + 1) + SERVICE_DIGIT[s],
          ]),
        ),
      ]),
    ),
    web: Object.fromEntries([...plan.web.keys()].map((id, i) => [id, base + 10 * (plan.hosts.size + i + 1) + 3])),
  };
}

/** Reads a ports file (ports.json or the file `--ports` names); undefined when it does not exist. */
export async function readPorts(file: string): Promise<PortPlan | undefined> {
  const data = await readJsonFile(file);
  return data === undefined ? undefined : checkPorts(data, file);
}

/** <state>/ports.json, written whole (temporary file, then rename). */
export async function writePorts(stateDir: string, ports: PortPlan): Promise<void> {
  const file = portsFile(stateDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(ports, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

function checkPorts(data: unknown, file: string): PortPlan {
  const fail = (field: string, what: string): never => {
    throw new ResourceError(`${file}: ${field}: ${what}`);
  };
  const port = (value: unknown, field: string): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)
      return fail(field, `${JSON.stringify(value)} is not a port (0 to 65535)`);
    return value;
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('(top)', 'not an object');
  const { dns, ui, hosts = {}, web = {} } = data as Record<string, unknown>;
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) return fail('hosts', 'not an object');
  const checked: Record<string, Partial<Record<ServiceName, number>>> = {};
  for (const [id, services] of Object.entries(hosts as Record<string, unknown>)) {
    if (typeof services !== 'object' || services === null) return fail(`hosts.${id}`, 'not an object');
    checked[id] = {};
    for (const [name, value] of Object.entries(services as Record<string, unknown>)) {
      if (!(SERVICES as string[]).includes(name))
        return fail(`hosts.${id}.${name}`, `not a service (${SERVICES.join(', ')})`);
      const p = port(value, `hosts.${id}.${name}`);
      if (p !== undefined) checked[id][name as ServiceName] = p;
    }
  }
  if (typeof web !== 'object' || web === null || Array.isArray(web)) return fail('web', 'not an object');
  const webPorts: Record<string, number> = {};
  for (const [id, value] of Object.entries(web as Record<string, unknown>)) {
    const p = port(value, `web.${id}`);
    if (p !== undefined) webPorts[id] = p;
  }
  const dnsPort = port(dns, 'dns');
  const uiPort = port(ui, 'ui');
  return {
    ...(dnsPort !== undefined && { dns: dnsPort }),
    ...(uiPort !== undefined && { ui: uiPort }),
    hosts: checked,
    web: webPorts,
  };
}

/** What the person asked for: ports laid out from a base, or named in a file. */
export type PortChoice = { readonly base: number } | { readonly file: string };

/**
 * The ports to start with: the `choice`, else what <state>/ports.json kept, else none (the system
 * picks). Only the plan's hosts: one the topology lost is forgotten.
 */
export async function portsToUse(plan: Plan, stateDir: string, choice?: PortChoice): Promise<PortPlan | undefined> {
  let ports: PortPlan | undefined;
  if (choice === undefined) ports = await readPorts(portsFile(stateDir));
  else if ('base' in choice) ports = portsFromBase(plan, choice.base);
  else {
    ports = await readPorts(choice.file);
    if (!ports) throw new ResourceError(`${choice.file}: no such ports file`);
  }
  return (
    ports && {
      ...ports,
      hosts: Object.fromEntries(Object.entries(ports.hosts).filter(([id]) => plan.hosts.has(id))),
      web: Object.fromEntries(Object.entries(ports.web ?? {}).filter(([id]) => plan.web.has(id))),
    }
  );
}

/**
 * Keeps what is listening now in <state>/ports.json, with what the ports it started from named
 * for services that do not run (yet), so a later start finds them all.
 */
export async function keepPorts(
  stateDir: string,
  listening: {
    readonly dns: number;
    readonly ui?: number | undefined;
    readonly hosts: Iterable<HostEndpoint>;
    readonly web?: Iterable<HostEndpoint>;
  },
  started?: PortPlan,
): Promise<void> {
  const ui = listening.ui ?? started?.ui;
  await writePorts(stateDir, {
    dns: listening.dns,
    ...(ui !== undefined && { ui }),
    hosts: Object.fromEntries(
      [...listening.hosts].map((h) => [
        h.hostId,
        { ...started?.hosts[h.hostId], ...Object.fromEntries(Object.entries(h.services).map(([s, e]) => [s, e.port])) },
      ]),
    ),
    web: Object.fromEntries([...(listening.web ?? [])].map((w) => [w.hostId, w.port])),
  });
}
