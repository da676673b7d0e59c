/**
 * Verify on plans the examples do not cover: a domain without DMARC (its _dmarc name does not
 * exist: NXDOMAIN, not NODATA), a domain with nothing to authorise in SPF, and a domain with a
 * single MX host (lint warns; failover must still judge it fairly). All three failed before: the
 * examples have DMARC everywhere, senders for every domain and a backup MX for each.
 */
import { describe, expect, it } from 'vitest';
import { builtinEngine } from '../../src/sandbox/sandbox.js';
import { verifyPlan } from '../../src/verify/run.js';
import { planOf, topology } from '../helpers/topology.js';

const plan = await planOf(
  topology((t) => {
    delete t.domains['globex.example'].dmarc;
    t.domains['quiet.example'] = {
      mx: [{ host: 'store2', preference: 10 }],
      users: { dora: 'store2' },
      senders: [],
      spf: { policy: '~all' },
    };
  }),
);

describe('verify on a plan the examples do not cover', () => {
  it('dns: passes a domain without DMARC and one whose SPF authorises nobody (v=spf1 -all)', async () => {
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['dns'] });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(result.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['_dmarc.globex.example DMARC policy', 'quiet.example SPF']),
    );
    // The lookups run side by side; the cases still come in the plan's order, domain by domain.
    const domains = [...plan.domains.keys()];
    expect(result.cases.slice(0, domains.length * 3).map((c) => c.name)).toEqual(
      domains.flatMap((d) => [`${d} MX`, `${d} SPF`, `_dmarc.${d} DMARC policy`]),
    );
  });

  it('failover: a single-MX domain is proven by its every-MX outage (the sender holds the mail), not failed by a one-MX one', async () => {
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['failover'] });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const quiet = result.cases.filter(
      (c) => c.name.includes('dora@quiet.example') || c.name.startsWith('quiet.example'),
    );
    expect(quiet.length, JSON.stringify(result.cases.map((c) => c.name))).toBeGreaterThan(0);
    expect(quiet.every((c) => c.status === 'pass')).toBe(true);
  });
});
