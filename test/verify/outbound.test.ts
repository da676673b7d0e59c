/**
 * The outbound scenario: both examples pass it (every domain from every host it sends from, and
 * every host's DSN), and plans broken in the ways lint warns of fail it, each case naming the
 * mechanism and its cause in the plan's terms. The broken plans are copies of the building
 * example; verify runs them as `--force` would (verifyPlan does not lint).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinEngine } from '../../src/sandbox/sandbox.js';
import { loadPlan } from '../../src/topology/load.js';
import type { CaseResult } from '../../src/verify/context.js';
import { verifyPlan } from '../../src/verify/run.js';
import { brokenCopy, ROOT } from '../helpers/cli.js';
import { KEY_FIXTURES, publicKeyOf } from '../helpers/dkim.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

async function outbound(file: string): Promise<readonly CaseResult[]> {
  const { plan } = await loadPlan(file);
  return (await verifyPlan({ plan: plan!, engine: builtinEngine, scenarios: ['outbound'] })).cases;
}

const failures = (cases: readonly CaseResult[]) =>
  cases.filter((c) => c.status === 'fail').map((c) => ({ name: c.name, observed: c.observed }));

/** acme.example's own selectors instead of the defaults, as `selectors` gives them. */
const acmeDkim = (selectors: string) => (t: string) =>
  t.replace('    spf: { policy: "-all" }\n', `    spf: { policy: "-all" }\n    dkim:\n${selectors}`);

describe('the outbound scenario', () => {
  it.each(['building', 'hosting'])('passes the %s example: DMARC, SPF and DKIM as planned', async (example) => {
    const cases = await outbound(join(ROOT, 'examples', example, 'topology.yaml'));
    expect(failures(cases)).toEqual([]);
    expect(cases.some((c) => c.name.startsWith('DSN from '))).toBe(true);
    // Every case is a pass that says what the receiver found.
    for (const c of cases) expect(c.note).toMatch(/^spf=pass dkim=.*dmarc=pass, from \S+ \(\S+\)$/);
  });

  it('names SPF and DKIM when a host in neither makes DMARC fail', async () => {
    // bob (mail2) sends for acme.example, but acme's SPF lists mail1 only, and only mail1 signs.
    const { file } = await brokenCopy('building', (t) =>
      acmeDkim('      - { selector: s2026, algorithm: rsa-2048, key: keys/acme.example.s2026.pem, hosts: [mail1] }\n')(
        t.replace('    spf: { policy: "-all" }\n', '    spf: { policy: "-all" }\n    senders: [mail1]\n'),
      ),
    );
    expect(failures(await outbound(file))).toEqual([
      {
        name: 'acme.example from mail2 (bob@acme.example)',
        observed:
          "dmarc=fail (p=quarantine): spf=fail: 192.0.2.11 (mail2) is not in acme.example's SPF; dkim=none: mail2 does not sign for acme.example",
      },
    ]);
  });

  it('names the selector whose published key the relays do not sign with', async () => {
    // The topology pins another key than the file holds (dkim-key-valid: pinned): DNS publishes
    // the pinned one, the relays sign with the file's.
    const { file } = await brokenCopy(
      'building',
      acmeDkim(
        `      - { selector: s2026, algorithm: rsa-2048, key: keys/acme.example.s2026.pem, publicKey: "${publicKeyOf('rsa-2048')}" }\n`,
      ),
    );
    const failed = failures(await outbound(file));
    expect(failed.map((f) => f.name).sort()).toEqual([
      'acme.example from mail1 (alice@acme.example)',
      'acme.example from mail2 (bob@acme.example)',
    ]);
    for (const f of failed) expect(f.observed).toMatch(/^dkim=fail: s2026\._domainkey\.acme\.example failed: /);
  });

  it('names a key too short for the receiver (RFC 8301)', async () => {
    const { file, dir } = await brokenCopy(
      'building',
      acmeDkim('      - { selector: old, algorithm: rsa-512, key: keys/old.pem }\n'),
    );
    await copyFile(join(KEY_FIXTURES, 'rsa-512.pem'), join(dir, 'keys', 'old.pem'));
    const failed = failures(await outbound(file));
    expect(failed).toHaveLength(2);
    // SPF still carries DMARC; the signature the plan promises does not verify.
    for (const f of failed) expect(f.observed).toMatch(/^dkim=\w+: old\._domainkey\.acme\.example failed: /);
  });

  it('passes a domain without DKIM whose SPF covers its hosts: nothing is promised that fails', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace('      info: [carol, frank]\n', '      info: [carol, frank]\n    dkim: []\n'),
    );
    const cases = await outbound(file);
    expect(failures(cases)).toEqual([]);
    expect(cases.find((c) => c.name.startsWith('globex.example from mail2'))!.note).toMatch(/dkim=none/);
  });
});
