/**
 * Where a recipient goes once it is accepted: the routing decision's output and the delivery
 * queue's unit of backoff (one state per destination, as Postfix's qmgr keeps per next hop).
 *
 * - `local`: a mailbox homed on this host (virtual(8) or Dovecot LMTP in Postfix terms);
 * - `host`: a planned host, dialled at its planned addresses without an MX lookup (the transport
 *   map's `smtp:[host]`, which cannot loop through MX);
 * - `mx`: the domain's MX records (RFC 5321 §5.1), for a backup relay or a domain outside the plan.
 */
import type { Host } from '../topology/types.js';

export type Destination =
  | { readonly kind: 'local' }
  | { readonly kind: 'host'; readonly host: Host }
  | { readonly kind: 'mx'; readonly domain: string };

/** A destination outbound delivery has to resolve (mail/next-hop.ts). */
export type NextHop = Exclude<Destination, { readonly kind: 'local' }>;

export const LOCAL: Destination = { kind: 'local' };

/** The destination's name: stable across restarts and equal for equal destinations ("host:store2"). */
export function destinationKey(destination: Destination): string {
  switch (destination.kind) {
    case 'local':
      return 'local';
    case 'host':
      return `host:${destination.host.id}`;
    case 'mx':
      return `mx:${destination.domain}`;
  }
}
