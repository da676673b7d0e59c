/**
 * A plan with every routing shape in it, lint errors included (the relays must follow the plan
 * where it is wrong, as production would):
 *
 *   acme.example    split over store1 and store2 (both MX 10), backup MX 50; ben homed on the
 *                   backup, zed on a host the plan does not have; nested aliases, a cycle, a
 *                   member outside the plan and an unknown member
 *   globex.example  store2 MX 10, backup MX 20; an alias reaching back into acme (a cycle across
 *                   domains) and one naming a null-MX address
 *   hooli.example   store1 its only MX; erlich homed on store2 (no MX of hooli), dan on the
 *                   backup (no MX of hooli either)
 *   parked.example  null MX
 */
import type { Plan } from '../../../src/topology/types.js';
import { planOf, topology } from '../../helpers/topology.js';

export function mixedPlan(): Promise<Plan> {
  return planOf(
    topology((t) => {
      t.domains['acme.example'] = {
        mx: [
          { host: 'store1', preference: 10 },
          { host: 'store2', preference: 10 },
          { host: 'backup', preference: 50 },
        ],
        users: { alice: 'store1', bob: 'store2', ben: 'backup', zed: 'nowhere' },
        aliases: {
          postmaster: ['alice'],
          team: ['alice', 'bob'],
          everyone: ['team', 'sales@globex.example', 'partner@example.com'],
          loop1: ['loop2'],
          loop2: ['loop1', 'alice'],
          ghost: ['nobody'],
          misplaced: ['ben', 'zed', 'dan@hooli.example'],
        },
      };
      t.domains['globex.example'] = {
        mx: [
          { host: 'store2', preference: 10 },
          { host: 'backup', preference: 20 },
        ],
        users: { carol: 'store2' },
        aliases: {
          postmaster: ['carol'],
          sales: ['carol', 'everyone@acme.example'],
          info: ['carol', 'x@parked.example'],
        },
      };
      t.domains['hooli.example'] = {
        mx: [{ host: 'store1', preference: 10 }],
        users: { gavin: 'store1', erlich: 'store2', dan: 'backup' },
        aliases: { postmaster: ['gavin'] },
      };
    }),
  );
}
