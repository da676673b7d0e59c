/**
 * Waiting until something the lab started answers, as a client would find it: a host's port 25
 * at each planned address, dialled from the outside; a name server's zones, asked over DNS.
 */
import { query } from '../dns/client.js';
import type { Endpoint } from '../sandbox/engine.js';
import { LabError } from './exec.js';
import type { Machine } from './layout.js';
import type { NamespaceSockets } from './sockets.js';

const PATIENCE_MS = 30_000;

/** Resolves once port 25 takes a connection at every address of the machine. */
export async function waitUntilAnswering(
  outside: NamespaceSockets,
  machine: Machine,
  gone?: () => Promise<unknown>,
  port = 25,
): Promise<void> {
  let failed: unknown;
  void gone?.().then(() => (failed ??= new LabError(`${machine.hostId ?? machine.namespace} stopped while starting`)));
  const deadline = Date.now() + PATIENCE_MS;
  for (const address of [...machine.ipv4, ...machine.ipv6]) {
    for (;;) {
      if (failed) throw failed as Error;
      const socket = await outside.connect(address, port, 1000).catch(() => undefined);
      if (socket) {
        socket.destroy();
        break;
      }
      if (Date.now() > deadline)
        throw new LabError(`${machine.hostId ?? machine.namespace} does not answer at ${address} port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Resolves once the server behind `endpoint` answers authoritatively for `zone`. */
export async function waitForZone(endpoint: Endpoint, zone: string, alive: () => void, what: string): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    alive();
    const reply = await query({ address: endpoint.host, port: endpoint.port }, zone, 'SOA', {
      timeout: 300,
      tries: 1,
    }).catch(() => undefined);
    if (reply?.authoritative && reply.rcode === 'NOERROR') return;
    if (Date.now() > deadline) throw new LabError(`${what} does not answer for ${zone}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
