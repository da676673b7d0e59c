/** The golden cases (see golden.test.ts), shared with the real-tool checks in zone-check.test.ts. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

/** Fixed, so the files do not depend on the day they were generated. */
export const GOLDEN_SERIAL = 2026010100;
/** Where the server configs say the zones are: fixed, so configs do not name a temporary path. */
export const GOLDEN_ZONE_DIRECTORY = '/var/lib/mxplan/zones';

export interface GoldenCase {
  readonly name: string;
  readonly topology: string;
  /** Directory holding zones/ and records.json. */
  readonly expected: string;
}

export async function goldenCases(): Promise<GoldenCase[]> {
  const golden = join(ROOT, 'test', 'golden');
  const fixtures = (await readdir(golden)).filter((d) => /^\d{3}-/.test(d)).sort();
  const examples = existsSync(join(ROOT, 'examples')) ? (await readdir(join(ROOT, 'examples'))).sort() : [];
  return [
    ...fixtures.map((d) => ({ name: d, topology: join(golden, d, 'topology.yaml'), expected: join(golden, d) })),
    ...examples
      .filter((d) => existsSync(join(ROOT, 'examples', d, 'topology.yaml')))
      .map((d) => ({
        name: `examples/${d}`,
        topology: join(ROOT, 'examples', d, 'topology.yaml'),
        expected: join(golden, 'examples', d),
      })),
  ];
}
