/**
 * `mxplan diff`: what changes from one plan to the next, in records and in the plan's terms, and
 * the order that deploys it safely.
 */
import { deriveZones } from '../dns/derive.js';
import { diffZones, type ZoneDiff } from '../dns/diff.js';
import type { Plan } from '../topology/types.js';
import { migrationOrder, type Migration, type MigrationOptions } from './migration.js';
import { diffMta, type MtaDiff } from './mta-diff.js';
import { planChanges, type PlanChange } from './plan-changes.js';

export interface PlanDiff {
  readonly before: string;
  readonly after: string;
  readonly changes: readonly PlanChange[];
  readonly records: readonly ZoneDiff[];
  /** Per host and file, what `mxplan mta` writes differently. */
  readonly mta: MtaDiff;
  readonly migration: Migration;
}

export function diffPlans(before: Plan, after: Plan, options: MigrationOptions): PlanDiff {
  // One serial on both sides: the serial is the zone writer's business, not a change of the plan.
  const zones = { before: deriveZones(before), after: deriveZones(after) };
  const records = diffZones(zones.before, zones.after);
  const mta = diffMta(before, after);
  const changes = planChanges(before, after, mta);
  return {
    before: before.file,
    after: after.file,
    changes,
    records,
    mta,
    migration: migrationOrder(before, after, zones, records, changes, mta, options),
  };
}

export function hasChanges(diff: PlanDiff): boolean {
  return diff.changes.length > 0 || diff.records.length > 0 || (diff.mta.available && diff.mta.hosts.length > 0);
}

export function isUnsafe(diff: PlanDiff): boolean {
  return diff.migration.hazards.some((h) => h.severity === 'unsafe');
}
