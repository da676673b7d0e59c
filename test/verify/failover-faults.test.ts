/**
 * Failover takes hosts down in both ways the engine contract offers (RFC 5321 §4.5.4.1: a sender
 * retries the next MX whether a host refuses or never answers): stopped, where connections are
 * refused at once, and cut off, where they time out. Before, only the first was exercised, and
 * the outside sender's pooled connections to a cut host hung until the send timeout.
 */
import { describe, expect, it } from 'vitest';
import { builtinEngine } from '../../src/sandbox/sandbox.js';
import { verifyPlan } from '../../src/verify/run.js';
import { planOf, topology } from '../helpers/topology.js';

describe('verify failover', () => {
  it('proves the plan with hosts stopped and with hosts cut off, and names which', async () => {
    const plan = await planOf(topology());
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['failover'] });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const names = result.cases.filter((c) => c.status === 'pass').map((c) => c.name);
    expect(
      names.some((n) => / down\b/.test(n) && !n.includes('cut off')),
      names.join('\n'),
    ).toBe(true);
    expect(
      names.some((n) => n.includes('cut off')),
      names.join('\n'),
    ).toBe(true);
  });

  it('runs a plan whose outages fit in one cycle twice, once stopped and once cut off', async () => {
    // One store, one backup MX for one domain: a single one-MX outage (the backup).
    const plan = await planOf(
      topology((t) => {
        for (const name of Object.keys(t.domains)) if (name !== 'acme.example') delete t.domains[name];
      }),
    );
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['failover'] });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const names = result.cases.map((c) => c.name);
    expect(names.filter((n) => n.includes(' cut off')).length, names.join('\n')).toBeGreaterThan(0);
    expect(names.filter((n) => / down\b/.test(n)).length, names.join('\n')).toBeGreaterThan(0);
  });
});
