/**
 * Every planned address, looked up through its domain. A view over the domains rather than one
 * global map: a million-user plan then holds each user once, not twice.
 */
import type { Domain, PlannedAddress } from './types.js';

export class AddressBook {
  constructor(private readonly domains: ReadonlyMap<string, Domain>) {}

  /** A canonical address; a user wins over an alias of the same name (lint reports the clash). */
  get(address: string): PlannedAddress | undefined {
    const at = address.lastIndexOf('@');
    const domain = this.domains.get(address.slice(at + 1));
    if (!domain || at <= 0) return undefined;
    const local = address.slice(0, at);
    const user = domain.users.get(local);
    if (user) return { kind: 'user', user };
    const alias = domain.aliases.get(local);
    return alias && { kind: 'alias', alias };
  }

  has(address: string): boolean {
    return this.get(address) !== undefined;
  }

  get size(): number {
    let n = 0;
    for (const d of this.domains.values()) {
      n += d.users.size;
      for (const local of d.aliases.keys()) if (!d.users.has(local)) n++;
    }
    return n;
  }

  *values(): IterableIterator<PlannedAddress> {
    for (const d of this.domains.values()) yield* this.inDomain(d);
  }

  /** The planned addresses of one domain: its users, then the aliases no user shadows. */
  *inDomain(domain: Domain): IterableIterator<PlannedAddress> {
    for (const user of domain.users.values()) yield { kind: 'user', user };
    for (const alias of domain.aliases.values()) if (!domain.users.has(alias.local)) yield { kind: 'alias', alias };
  }
}
