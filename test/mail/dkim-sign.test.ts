/**
 * The relays' DKIM signatures (src/mail/dkim-sign.ts), on mail they really delivered: the
 * building example runs in the sandbox with verify's receiver outside the plan, and every message
 * the receiver takes is checked by dkimpy (python3-dkim), whose key lookups ask the sandbox's own
 * responder. RSA and Ed25519, a user's submission and a DSN; mail a relay only forwards is not
 * signed by it, nor is mail of a domain the host does not sign for.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimSigner } from '../../src/mail/dkim-sign.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { REFUSED_PREFIX, startReceiver, type Receiver } from '../../src/verify/receiver.js';
import { brokenCopy } from '../helpers/cli.js';
import { dkimpy as checkWithDkimpy } from '../helpers/dkim.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requirePythonModule } from '../helpers/tools.js';

const python = requirePythonModule('dkim');
const RECEIVER = 'receiver.test';
const PATIENCE = 15_000;

let plan: Plan;
let receiver: Receiver;
let sandbox: Sandbox;
let counter = 0;

beforeAll(async () => {
  // The building example, with an alias that forwards to the receiver (mail the store only relays).
  const { file } = await brokenCopy('building', (t) =>
    t.replace(
      '      all: [alice, bob, dave, erin]\n',
      `      all: [alice, bob, dave, erin]\n      away: [friend@${RECEIVER}]\n`,
    ),
  );
  plan = (await loadPlan(file)).plan!;
  receiver = await startReceiver(RECEIVER);
  sandbox = await startSandbox({
    plan,
    stateDir: await tempDir('dkim-sign'),
    outside: [{ domain: RECEIVER, endpoint: receiver.endpoint }],
  });
  receiver.attach(sandbox);
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
  await removeTempDirs();
});

/** A message carrying a token the receiver finds it by. */
function message(token: string, from: string, to: string): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: <${to}>`,
      `Subject: dkim ${token}`,
      'Date: Sat, 28 Nov 2026 04:00:00 +0000',
      `Message-ID: <${token}@dkim.mxplan.invalid>`,
      `X-Mxplan-Probe: ${token}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      `A line with trailing spaces   `,
      '',
      '',
    ].join('\r\n'),
  );
}

async function arrived(token: string, dsn = false): Promise<Buffer> {
  await receiver.waitFor([token], PATIENCE, () => void sandbox.retryNow());
  const got = receiver.received.find((m) => m.token === token && m.dsn === dsn);
  if (!got) throw new Error(`nothing with ${token} arrived`);
  return got.raw;
}

/** dkimpy's verdict on every signature of each message, its keys asked of the sandbox's responder. */
const dkimpy = (messages: readonly Buffer[]) => checkWithDkimpy(python!, sandbox.dns, messages);

const token = () => `dkim${++counter}x${Date.now().toString(36)}`;

describe.runIf(python)('signatures on mail the relays delivered, checked by dkimpy', () => {
  it('a submission carries an RSA and an Ed25519 signature for its From domain, both valid', async () => {
    const t = token();
    await sandbox.submit(
      'mail1',
      { from: 'alice@acme.example', to: [`a@${RECEIVER}`] },
      message(t, 'Alice <alice@acme.example>', `a@${RECEIVER}`),
    );
    const raw = await arrived(t);
    const [checked] = await dkimpy([raw]);
    expect(checked!.map(({ d, s, a, ok }) => ({ d, s, a, ok })).sort((x, y) => x.s.localeCompare(y.s))).toEqual([
      { d: 'acme.example', s: 'e2026', a: 'ed25519-sha256', ok: true },
      { d: 'acme.example', s: 's2026', a: 'rsa-sha256', ok: true },
    ]);
    // RFC 6376 §5.4.2: From is listed once more than it occurs, so a From added later breaks it.
    for (const { h } of checked!)
      expect(
        h
          .toLowerCase()
          .split(/\s*:\s*/)
          .filter((n) => n === 'from'),
      ).toHaveLength(2);
    expect(checked![0]!.h.toLowerCase()).toMatch(/subject/);

    // Tampered on the way: an added From, an edited body.
    const addedFrom = Buffer.concat([Buffer.from('From: mallory@acme.example\r\n'), raw]);
    const editedBody = Buffer.from(raw.toString('latin1').replace('trailing spaces', 'trailing words'), 'latin1');
    for (const tampered of await dkimpy([addedFrom, editedBody]))
      expect(tampered.map((c) => c.ok)).toEqual([false, false]);
  });

  it("a DSN is signed for the planned domain of the host's name", async () => {
    const t = token();
    await sandbox.submit(
      'mail2',
      { from: `back@${RECEIVER}`, to: [`${REFUSED_PREFIX}1@${RECEIVER}`] },
      message(t, `<back@${RECEIVER}>`, `${REFUSED_PREFIX}1@${RECEIVER}`),
    );
    const dsn = await arrived(t, true);
    expect(dsn.toString('latin1')).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mail2\.tower\.example>/m);
    const [checked] = await dkimpy([dsn]);
    expect(checked!.map(({ d, s, ok }) => ({ d, s, ok })).sort((x, y) => x.s.localeCompare(y.s))).toEqual([
      { d: 'tower.example', s: 'e2026', ok: true },
      { d: 'tower.example', s: 's2026', ok: true },
    ]);
  });

  it('a host signs nothing for a domain it is no signer of', async () => {
    // globex.example's selectors are signed with by its senders: mail2, not mail1.
    const t = token();
    await sandbox.submit(
      'mail1',
      { from: 'carol@globex.example', to: [`c@${RECEIVER}`] },
      message(t, '<carol@globex.example>', `c@${RECEIVER}`),
    );
    expect(await dkimpy([await arrived(t)])).toEqual([[]]);
  });

  it('mail a store only forwards goes on as it came, with no signature of the store', async () => {
    const t = token();
    const transport = nodemailer.createTransport({
      ...sandbox.connector.endpointFor(plan.hosts.get('mail1')!.ipv4[0]!)!,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({
        envelope: { from: 'someone@outside.example', to: ['away@acme.example'] },
        raw: message(t, '<someone@outside.example>', 'away@acme.example'),
      });
    } finally {
      transport.close();
    }
    const raw = await arrived(t);
    expect(raw.toString('latin1')).not.toMatch(/^DKIM-Signature:/im);
  });
});

describe('which key signs (the signer alone)', () => {
  const signed = async (hostId: string, from: string | undefined) => {
    const errors: string[] = [];
    const signer = dkimSigner(plan, hostId, (m) => errors.push(m));
    const head = from === undefined ? '' : `From: ${from}\r\n`;
    const out = await signer.sign(Buffer.from(`${head}Subject: x\r\n\r\nbody\r\n`), Date.UTC(2026, 10, 28));
    expect(errors).toEqual([]);
    return [...out.toString('latin1').matchAll(/^DKIM-Signature:[^]*?(?=^\S)/gm)].map((m) => {
      const tags = m[0].replace(/\s+/g, '');
      return `${/;d=([^;]+)/.exec(tags)?.[1]} ${/;s=([^;]+)/.exec(tags)?.[1]} ${/;t=(\d+)/.exec(tags)?.[1]}`;
    });
  };

  it('signs for the planned domain at or above the From domain, at the time it is given', async () => {
    const t = String(Date.UTC(2026, 10, 28) / 1000);
    expect((await signed('mail1', '"Sales" <team@Sales.ACME.example>')).sort()).toEqual([
      `acme.example e2026 ${t}`,
      `acme.example s2026 ${t}`,
    ]);
  });

  it('signs nothing without a From, or for a domain outside the plan', async () => {
    expect(await signed('mail1', undefined)).toEqual([]);
    expect(await signed('mail1', 'someone@elsewhere.example')).toEqual([]);
  });
});
