import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Where the lab tests write down each lab's namespaces; test/lab/global-teardown.ts checks them.
const ledger = join(tmpdir(), `mxplan-lab-ledger-${process.pid}`);
process.env.MXPLAN_LAB_LEDGER = ledger;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: end-to-end suites start real servers; keep parallelism modest.
    maxWorkers: 2,
    env: { MXPLAN_LAB_LEDGER: ledger },
    globalSetup: ['test/lab/global-teardown.ts'],
  },
});
