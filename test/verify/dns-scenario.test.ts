/**
 * The dns scenario on plans the examples do not cover: a domain without DMARC (its _dmarc name
 * does not exist: NXDOMAIN, not NODATA) and a domain with nothing to authorise in SPF. Both
 * failed before: the examples have DMARC everywhere and senders for every domain.
 */
import { describe, expect, it } from 'vitest';
import { verifyPlan } from '../../src/verify/run.js';
import { planOf, topology } from '../helpers/topology.js';

describe('verify: dns scenario', () => {
  it('passes a domain without DMARC and one whose SPF authorises nobody (v=spf1 -all)', async () => {
    const plan = await planOf(
      topology((t) => {
        delete t.domains['globex.example'].dmarc;
        t.domains['quiet.example'] = { mx: [{ host: 'store2', preference: 10 }], users: { dora: 'store2' }, senders: [], spf: { policy: '~all' } };
      }),
    );
    const result = await verifyPlan({ plan, scenarios: ['dns'] });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(result.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['_dmarc.globex.example DMARC policy', 'quiet.example SPF']));
  });
});
