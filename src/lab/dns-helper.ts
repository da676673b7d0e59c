/**
 * mxplan's authoritative responder for one lab machine (the lab's builtin DNS): the plan's zones,
 * as the loopback sandbox serves them, on port 53 of each planned name server address here. One
 * server per address, so every reply leaves from the address its query came to. Its query log
 * goes to the lab's process as events. `zones` swaps every server's zones (a switch of plans).
 */
import type { Zone } from '../dns/records.js';
import { startDnsServer } from '../dns/server.js';
import { report, type Operation } from './ipc.js';
import { DNS_PORT } from './relay-helper.js';

export interface DnsInit {
  readonly zones: readonly Zone[];
  readonly addresses: readonly string[];
}

export async function startDnsHelper(init: DnsInit) {
  const servers = await Promise.all(
    // Each answered query goes to the lab's process, for the contract's DNS query log.
    init.addresses.map((address) => startDnsServer({ zones: init.zones, address, port: DNS_PORT, log: report })),
  );
  const operations: Record<string, Operation> = {
    // A switch to a new plan: every address serves the new zones at once (Responder.replaceZones).
    zones: async (zones: readonly Zone[]) => {
      for (const server of servers) server.replaceZones(zones);
    },
  };
  return { operations, stop: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
