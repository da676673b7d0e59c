/**
 * What a running plan's CA certifies (pki.ts), for every engine that runs the plan: each mail
 * host for its fqdn (the name MX records and forwarding dial, RFC 8461 §4.2 and RFC 7672 match
 * it), each web host for its fqdn and the policy host `mta-sts.<domain>` of every domain whose
 * policy it serves (RFC 8461 §3.3). The files are the state directory's (state-layout.ts).
 */
import { tlsLayout } from '../state-layout.js';
import type { Plan } from '../topology/types.js';
import { policyHostName } from './mta-sts.js';
import type { TlsSubject } from './pki.js';

/** The identity of a mail host, by id (Pki.identities). */
export const hostSubject = (hostId: string): string => `host:${hostId}`;
/** The identity of a web host (ids of web and mail hosts may be equal: each kind has its own). */
export const webSubject = (webId: string): string => `web:${webId}`;

export function planSubjects(plan: Plan, stateDir: string): TlsSubject[] {
  const layout = tlsLayout(stateDir);
  const policyHosts = new Map<string, string[]>();
  for (const domain of plan.domains.values()) {
    const id = domain.mtaSts?.host?.id;
    if (id !== undefined) policyHosts.set(id, [...(policyHosts.get(id) ?? []), policyHostName(domain.name)]);
  }
  return [
    ...[...plan.hosts.values()].map((h) => ({ id: hostSubject(h.id), files: layout.host(h.id), names: [h.fqdn] })),
    ...[...plan.web.values()].map((w) => ({
      id: webSubject(w.id),
      files: layout.web(w.id),
      names: [w.fqdn, ...(policyHosts.get(w.id) ?? [])],
    })),
  ];
}
