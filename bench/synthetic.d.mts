/** A synthetic topology's YAML and its users CSVs by relative path (see synthetic.mjs). */
export function syntheticTopology(size: { domains: number; usersPerDomain: number }): {
  yaml: string;
  files: Map<string, string>;
};

export function writeSyntheticTopology(dir: string, size: { domains: number; usersPerDomain: number }): Promise<string>;
