/** The scenarios by name, in the order they run; importable without loading the sandbox (the CLI's options). */
export const SCENARIO_NAMES = [
  'dns',
  'mta-sts',
  'delivery',
  'between-domains',
  'failover',
  'refusals',
  'bounce',
  'outbound',
  'read',
] as const;
/** The scenarios of one plan, and `migration`, which `verify --from` runs instead (it needs two plans). */
export type ScenarioName = (typeof SCENARIO_NAMES)[number] | 'migration';

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
