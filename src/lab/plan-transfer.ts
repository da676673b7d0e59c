/**
 * A plan crosses to a helper process as a structured clone (ipc.ts): maps, sets and the links
 * between hosts, domains and users survive, prototypes do not. The plan's one class instance,
 * its address book, gets its class back here. Its DKIM private keys (KeyObject, a host object)
 * would arrive as empty objects, silently (child_process's serializer drops what it cannot
 * clone), and the relays would sign nothing: they cross beside the plan as PKCS #8 DER and are
 * parsed again on arrival.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AddressBook } from '../topology/address-book.js';
import type { Plan } from '../topology/types.js';

/** A plan as it crosses: the clone, and each loaded DKIM key by domain and selector. */
export interface PackedPlan {
  readonly plan: Plan;
  readonly keys: readonly { readonly domain: string; readonly selector: string; readonly der: Uint8Array }[];
}

export function packPlan(plan: Plan): PackedPlan {
  const keys = [...plan.domains.values()].flatMap((domain) =>
    domain.dkim.flatMap((s) =>
      s.key.status === 'ok'
        ? [
            {
              domain: domain.name,
              selector: s.selector,
              der: s.key.privateKey.export({ type: 'pkcs8', format: 'der' }),
            },
          ]
        : [],
    ),
  );
  return { plan, keys };
}

export function revivePlan({ plan, keys }: PackedPlan): Plan {
  Object.setPrototypeOf(plan.addresses, AddressBook.prototype);
  const byName = new Map(keys.map((k) => [`${k.selector} ${k.domain}`, k.der]));
  for (const domain of plan.domains.values())
    for (const selector of domain.dkim) {
      const der = byName.get(`${selector.selector} ${domain.name}`);
      if (selector.key.status !== 'ok' || der === undefined) continue;
      (selector.key as { privateKey: KeyObject }).privateKey = createPrivateKey({
        key: Buffer.from(der),
        format: 'der',
        type: 'pkcs8',
      });
    }
  return plan;
}
