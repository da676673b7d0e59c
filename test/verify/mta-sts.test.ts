/**
 * `mtaSts` proven by verify (RFC 8461): the policy is fetched over HTTPS through the running
 * plan and every MX must pass it. Each way a plan can be wrong here fails, with the cause named:
 * a policy whose own patterns leave an MX out (the plan is wrong: lint says so too), a served
 * policy older than the plan (the deployed file lags the MX set), a certificate that does not
 * validate (enforce fails; testing passes with a note), and no policy host at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lint as checkPlan } from '../../src/lint/run.js';
import { builtinEngine, startSandbox } from '../../src/sandbox/sandbox.js';
import type { EngineFactory } from '../../src/sandbox/engine.js';
import { writePolicyDirectory } from '../../src/tls/policy-dir.js';
import { verifyPlan, type VerifyResult } from '../../src/verify/run.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { foreignIdentity, withSts } from '../helpers/sts.js';
import { planOf } from '../helpers/topology.js';

afterAll(removeTempDirs);

const cases = (result: VerifyResult, scenario: string) => result.cases.filter((c) => c.scenario === scenario);
const failed = (result: VerifyResult) => result.cases.filter((c) => c.status === 'fail');

describe('verify proves MTA-STS', () => {
  it('passes a plan whose policy is served and whose MX hosts all hold valid TLS, the backup during failover too', async () => {
    const plan = await planOf(withSts('enforce'));
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['mta-sts', 'failover'] });
    expect(failed(result)).toEqual([]);
    expect(cases(result, 'mta-sts').map((c) => c.name)).toEqual([
      'acme.example MTA-STS policy',
      'acme.example MX mail1.infra.example under MTA-STS (enforce)',
      'acme.example MX mx-backup.infra.example under MTA-STS (enforce)',
    ]);
    // The failover scenario delivered through the backup under the enforced policy (store1
    // stopped or cut off: failover takes the two faults in turn).
    expect(
      cases(result, 'failover').some((c) => /store1 (down|cut off)/.test(c.name) && c.status === 'pass'),
      JSON.stringify(cases(result, 'failover').map((c) => c.name)),
    ).toBe(true);
  });

  it('fails a plan whose own mx patterns leave the backup out, and lint says so first', async () => {
    const plan = await planOf(
      withSts('enforce', (t) => (t.domains['acme.example'].mtaSts.mx = ['mail1.infra.example'])),
    );
    const findings = checkPlan(plan).filter((f) => f.rule === 'mta-sts-covers-mx');
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining('matches MX mx-backup.infra.example')]);

    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['mta-sts', 'failover'] });
    const backup = cases(result, 'mta-sts').find((c) => c.name.includes('mx-backup'))!;
    expect(backup.status).toBe('fail');
    expect(backup.observed).toMatch(/the served policy does not name it \(mx: mail1\.infra\.example/);
    // With the primary down the outside sender will not use the backup: the report says why.
    const during = cases(result, 'failover').filter((c) => c.status === 'fail' && c.name.includes('acme.example'));
    expect(during.length).toBeGreaterThan(0);
    expect(during.map((c) => c.observed).join('\n')).toMatch(/not an MX host of acme\.example's MTA-STS policy/);
  });

  it('fails when the served policy file is older than the plan (the MX set grew, the deployed file did not)', async () => {
    // The file deployed on the web server was written from the plan before the backup joined.
    const before = await planOf(
      withSts('enforce', (t) => (t.domains['acme.example'].mx = [{ host: 'store1', preference: 10 }])),
    );
    const deployed = await tempDir('deployed-policies');
    await writePolicyDirectory(before, deployed);
    const plan = await planOf(withSts('enforce'));
    const engine: EngineFactory = (o) => startSandbox({ ...o, profile: 'fast', policyDir: deployed });

    const result = await verifyPlan({ plan, engine, scenarios: ['mta-sts'] });
    expect(failed(result).map((c) => [c.name, c.observed])).toEqual([
      [
        'acme.example MX mx-backup.infra.example under MTA-STS (enforce)',
        expect.stringContaining('the served policy does not name it (mx: mail1.infra.example'),
      ],
    ]);
    // The very same files for the current plan pass.
    await writePolicyDirectory(plan, deployed);
    expect(failed(await verifyPlan({ plan, engine, scenarios: ['mta-sts'] }))).toEqual([]);
  });

  it('fails an MX whose certificate does not validate in enforce mode, and passes it with a note in testing mode', async () => {
    const identity = await foreignIdentity('mx-backup.infra.example');
    const engine: EngineFactory = (o) => startSandbox({ ...o, profile: 'fast', relays: { backup: { identity } } });

    const enforce = await verifyPlan({ plan: await planOf(withSts('enforce')), engine, scenarios: ['mta-sts'] });
    const bad = cases(enforce, 'mta-sts').find((c) => c.name.includes('mx-backup'))!;
    expect(bad.status).toBe('fail');
    expect(bad.observed).toMatch(/\[198\.51\.100\.25\] no valid TLS for mx-backup\.infra\.example: .*certificate/i);
    expect(cases(enforce, 'mta-sts').find((c) => c.name.includes('mail1'))!.status).toBe('pass');

    const testing = await verifyPlan({ plan: await planOf(withSts('testing')), engine, scenarios: ['mta-sts'] });
    const noted = cases(testing, 'mta-sts').find((c) => c.name.includes('mx-backup'))!;
    expect(noted.status).toBe('pass');
    expect(noted.note).toMatch(/testing mode/);
    expect(noted.observed).toMatch(/certificate/i);
  });

  it('fails a domain whose policy nobody serves (no web host planned)', async () => {
    const plan = await planOf(withSts('enforce', (t) => delete t.domains['acme.example'].mtaSts.host));
    expect(checkPlan(plan).map((f) => f.rule)).toContain('mta-sts-policy-host');
    const result = await verifyPlan({ plan, engine: builtinEngine, scenarios: ['mta-sts'] });
    expect(failed(result).map((c) => [c.name, c.observed])).toEqual([
      ['acme.example MTA-STS policy', 'mta-sts.acme.example has no address'],
    ]);
  });
});
