/**
 * The lab in tests. It runs as root on Linux with iproute2, Postfix, Dovecot and the three name
 * servers (.ci/run installs them): elsewhere the lab tests skip, except under CI, where a missing
 * piece is an error (tools.ts).
 *
 * Every lab a test starts goes through `labFactory`, which writes the inodes of its namespaces
 * to the ledger (MXPLAN_LAB_LEDGER, set by vitest.config.ts): test/lab/global-teardown.ts,
 * which runs after every test file, holds that nothing of any of them is left.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { labEngine, type Lab, type LabChoice } from '../../../src/lab/lab.js';
import { labUnavailable } from '../../../src/lab/platform.js';
import type { EngineFactory } from '../../../src/sandbox/engine.js';
import { requireTool } from '../../helpers/tools.js';

export const LAB_TOOLS = [
  'ip',
  'script',
  'postfix',
  'postconf',
  'postqueue',
  'sendmail',
  'dovecot',
  'named',
  'nsd',
  'knotd',
] as const;

/** True when the lab can run here; false (skip) outside CI, an error under CI, when it cannot. */
export function haveLab(): boolean {
  const why = userInfo().uid === 0 ? labUnavailable() : 'the lab tests run as root';
  if (why) {
    if (process.env.CI) throw new Error(`${why}: CI runs the lab tests (.ci/run)`);
    return false;
  }
  return LAB_TOOLS.every((tool) => requireTool(tool));
}

/** Where the namespaces of every lab started in this run are written down. */
export const LEDGER = process.env.MXPLAN_LAB_LEDGER ?? join('/tmp', 'mxplan-lab-ledger');

/** Writes down a lab's namespaces (their names and inodes) before anything can go wrong with them. */
export function recordLab(prefix: string, namespaces: readonly string[]): void {
  mkdirSync(LEDGER, { recursive: true });
  const entries = namespaces.map((ns) => {
    let inode = 0;
    try {
      inode = statSync(join('/run/netns', ns)).ino;
    } catch {
      // removed already
    }
    return { ns, inode };
  });
  writeFileSync(join(LEDGER, prefix), JSON.stringify(entries));
}

/** labEngine, with every lab it starts written down. */
export function labFactory(choice: LabChoice): EngineFactory {
  const start = labEngine(choice);
  return async (options) => {
    const lab = (await start(options)) as Lab;
    recordLab(lab.layout.names.prefix, lab.namespaces);
    return lab;
  };
}
