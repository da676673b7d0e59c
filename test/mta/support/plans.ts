/** The plans every MTA test runs on: both examples, and the mixed plan of the routing tests. */
import { join } from 'node:path';
import { writeMtaDirectory } from '../../../src/mta/mta-dir.js';
import { loadPlan } from '../../../src/topology/load.js';
import type { Plan } from '../../../src/topology/types.js';
import { ROOT } from '../../helpers/cli.js';
import { mixedPlan } from '../../routing/support/mixed-plan.js';
import { testPaths } from './postfix-tools.js';

async function example(name: string): Promise<Plan> {
  const { plan, findings } = await loadPlan(join(ROOT, 'examples', name, 'topology.yaml'));
  if (!plan) throw new Error(`examples/${name}: ${findings.map((f) => f.message).join('; ')}`);
  return plan;
}

export const PLANS: readonly [name: string, load: () => Promise<Plan>][] = [
  ['examples/building', () => example('building')],
  ['examples/hosting', () => example('hosting')],
  ['the mixed plan (split domain, backup, nested aliases, members outside)', mixedPlan],
];

/** Writes the plan's configuration under `root/out`, every host's state paths under `root/state`. */
export async function generateUnder(
  plan: Plan,
  root: string,
): Promise<{ out: string; paths: ReturnType<typeof testPaths> }> {
  const paths = testPaths(root);
  const out = join(root, 'out');
  await writeMtaDirectory(plan, { out, paths });
  return { out, paths };
}
