/**
 * A planned web host inside its namespace (or its host's): the loopback sandbox's policy server
 * (../sandbox/policy-server.ts), listening on port 443 at each of its planned addresses, with the
 * certificate the lab's CA issued it. It serves the MTA-STS policy of every domain whose policy
 * host it is (RFC 8461 §3.3), so that verify's sender and the plan's hosts fetch it over the
 * lab's network as anyone on the Internet would.
 */
import { HTTPS_PORT } from '../mail/connector.js';
import { startPolicyServer, type PolicyServer } from '../sandbox/policy-server.js';
import type { TlsIdentity } from '../tls/pki.js';
import type { Operation } from './ipc.js';
import { revivePlan, type PackedPlan } from './plan-transfer.js';

export interface WebInit {
  readonly plan: PackedPlan;
  readonly webId: string;
  readonly identity: TlsIdentity;
}

export async function startWebHelper(init: WebInit) {
  const plan = revivePlan(init.plan);
  const web = plan.web.get(init.webId)!;
  const servers: PolicyServer[] = [];
  try {
    for (const address of [...web.ipv4, ...web.ipv6])
      servers.push(await startPolicyServer({ plan, web, identity: init.identity, address, port: HTTPS_PORT }));
  } catch (error) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw error;
  }
  const operations: Record<string, Operation> = {};
  return { operations, stop: async () => void (await Promise.allSettled(servers.map((s) => s.close()))) };
}
