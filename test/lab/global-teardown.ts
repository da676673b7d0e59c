/**
 * The lab suite's last word (vitest globalSetup, so after every test file): no namespace,
 * directory, mount or process of any lab the run started is left. A leftover fails the run.
 */
import { rmSync } from 'node:fs';
import { labLeftovers, ledgerEntries } from './support/leftovers.js';

export function setup(): () => void {
  const ledger = process.env.MXPLAN_LAB_LEDGER!;
  rmSync(ledger, { recursive: true, force: true });
  return () => {
    const left = labLeftovers(ledgerEntries(ledger));
    rmSync(ledger, { recursive: true, force: true });
    if (left.length === 0) return;
    // vitest reports an error thrown here but still exits 0: set the exit code as well.
    process.exitCode = 1;
    throw new Error(`the lab tests left behind:\n  ${left.join('\n  ')}`);
  };
}
