/**
 * The comparison table, plan × MTA × DNS → verdict: the lab reaches the verdict the loopback
 * sandbox reaches, on the building example and on broken copies of it that fail delivery for
 * distinct causes (test/verify/broken-plans.ts): a relay-only MX with no better MX to forward to
 * (a mail loop, RFC 5321 §5.1), users in a null-MX domain (RFC 7505), and a home no MX host can
 * reach (IPv6-only, behind IPv4-only MX hosts). A verdict is the exit code and the failing cases.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { brokenCopy } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/temp.js';
import { broken } from '../verify/broken-plans.js';
import { haveLab, verifyCli } from './support/lab.js';

vi.setConfig({ testTimeout: 300_000 });
afterAll(removeTempDirs);

const columns = [
  { name: 'loopback sandbox', lab: undefined },
  { name: 'lab builtin/builtin', lab: { mta: 'builtin', dns: 'builtin' } },
  { name: 'lab postfix/bind', lab: { mta: 'postfix', dns: 'bind' } },
] as const;

const rows = [
  { name: 'the building example', file: async () => 'examples/building/topology.yaml', fails: false },
  ...broken.slice(0, 3).map((plan) => ({
    name: plan.name,
    file: async () => (await brokenCopy('building', plan.edit)).file,
    fails: true,
  })),
];

describe.runIf(haveLab())('the comparison table: plan × MTA × DNS → verdict', () => {
  it.each(rows)('$name: the lab reaches the loopback verdict', async ({ file, fails }) => {
    const path = await file();
    const verdicts: string[] = [];
    for (const column of columns) {
      const { code, report } = await verifyCli(path, column.lab, ['--force', '-s', 'delivery', '--patience', '3']);
      const failing = report.cases
        .filter((c) => c.status === 'fail')
        .map((c) => c.name)
        .sort();
      verdicts.push(`exit ${code}${failing.length > 0 ? `, failed: ${failing.join(', ')}` : ''}`);
    }
    expect(verdicts[0], 'the loopback verdict').toMatch(fails ? /^exit 1, failed: / : /^exit 0$/);
    const table = columns.map((c, i) => `${c.name}: ${verdicts[i]}`);
    expect(table).toEqual(columns.map((c) => `${c.name}: ${verdicts[0]}`));
  });
});
