/**
 * A plan crosses to a helper process as a structured clone (ipc.ts): maps, sets and the links
 * between hosts, domains and users survive, prototypes do not. The plan's one class instance,
 * its address book, gets its class back here; test/lab/plan-transfer.test.ts checks that no
 * other object of a plan has a prototype the clone would lose.
 */
import { AddressBook } from '../topology/address-book.js';
import type { Plan } from '../topology/types.js';

export function revivePlan(clone: Plan): Plan {
  Object.setPrototypeOf(clone.addresses, AddressBook.prototype);
  return clone;
}
