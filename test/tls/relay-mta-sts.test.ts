/**
 * The relays' own client under MTA-STS (RFC 8461 §5): a backup MX handing mail on to the primary
 * of a domain in enforce mode requires TLS with a certificate valid for the primary's name and
 * never falls back to plain text; it delivers only to MX hosts the policy names. In testing mode
 * (opportunistic TLS, RFC 7435) the same certificate does not stop the mail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Activity } from '../../src/sandbox/engine.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { RawSmtp } from '../mail/support/raw-smtp.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { foreignIdentity, withSts } from '../helpers/sts.js';
import { planOf, type TopologyDoc } from '../helpers/topology.js';

afterAll(removeTempDirs);

/** Hands a message for alice@acme.example (homed on store1) to the backup MX, and returns what the backup did next. */
async function throughBackup(doc: TopologyDoc, badPrimary: boolean): Promise<Activity> {
  const plan = await planOf(doc);
  const identity = badPrimary ? await foreignIdentity('mail1.infra.example') : undefined;
  await using sandbox = await startSandbox({
    plan,
    stateDir: await tempDir('relay-sts'),
    start: ['backup', 'store1'],
    ...(identity && { relays: { store1: { identity } } }),
  });
  const next = new Promise<Activity>((resolve) =>
    sandbox.onActivity((a) => {
      if (a.host === 'backup' && (a.type === 'delivered' || a.type === 'deferred')) resolve(a);
    }),
  );
  const { smtp } = await RawSmtp.connect(sandbox.hosts.get('backup')!.port);
  await smtp.command('EHLO client.example.org');
  expect(await smtp.command('MAIL FROM:<someone@example.org>')).toMatch(/^250/);
  expect(await smtp.command('RCPT TO:<alice@acme.example>')).toMatch(/^250/);
  expect(await smtp.command('DATA')).toMatch(/^354/);
  expect(await smtp.command('Subject: via the backup\r\n\r\nhello\r\n.')).toMatch(/^250/);
  smtp.close();
  return await next; // before the sandbox is disposed
}

describe('a relay delivering to an MTA-STS domain', () => {
  it('in enforce mode defers rather than deliver to a primary whose certificate does not validate', async () => {
    const outcome = await throughBackup(withSts('enforce'), true);
    expect(outcome.type).toBe('deferred');
    expect(outcome.type === 'deferred' && outcome.reason).toMatch(
      /^451 4\.7\.5 .*TLS with a certificate valid for mail1\.infra\.example is required \(MTA-STS enforce, RFC 8461 §5\): unable to verify/,
    );
  });

  it('in enforce mode delivers over TLS to a primary with a valid certificate', async () => {
    const outcome = await throughBackup(withSts('enforce'), false);
    expect(outcome).toMatchObject({ type: 'delivered', to: 'mail1.infra.example' });
  });

  it('in enforce mode does not deliver to an MX the policy does not name', async () => {
    const doc = withSts('enforce', (t) => (t.domains['acme.example'].mtaSts.mx = ['mx-backup.infra.example']));
    const outcome = await throughBackup(doc, false);
    expect(outcome.type === 'deferred' && outcome.reason).toMatch(
      /mail1\.infra\.example is not an MX host of acme\.example's MTA-STS policy/,
    );
  });

  it('in testing mode delivers opportunistically despite the certificate', async () => {
    const outcome = await throughBackup(withSts('testing'), true);
    expect(outcome).toMatchObject({ type: 'delivered', to: 'mail1.infra.example' });
  });
});
