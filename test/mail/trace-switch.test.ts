/**
 * The delivery key across a plan switch (mail/trace.ts): mail the retired backup queued under the
 * old plan carries its Received header, and the stores of the new plan still count it. Resent by
 * the old backup itself and by the new backup it also reached (its 250 lost on the way, RFC 5321
 * §6.1), the message lands once: on a relay reloaded with the new plan, and on one restarted under it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { MailEvent } from '../../src/mail/events.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { mailboxMessages } from '../helpers/maildir.js';
import { tempDir, removeTempDirs } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';
import { message } from './support/mail-net.js';

afterAll(removeTempDirs);

// backup (mx-backup.infra.example) is replaced by backup2 (mx2.infra.example), as in the contract.
const before = await planOf(topology());
const after = await planOf(
  topology((t) => {
    delete t.hosts.backup;
    t.hosts.backup2 = { fqdn: 'mx2.infra.example', ipv4: ['198.51.100.26'], role: 'relay' };
    for (const domain of Object.keys(t.domains))
      for (const mx of t.domains[domain].mx ?? []) if (mx.host === 'backup') mx.host = 'backup2';
  }),
);

/** The queued bytes as a backup sends them: its Received on top, and the next one's when it went via backup2. */
function relayed(raw: string, via: readonly { by: string; id: string }[]): string {
  const date = 'Wed, 02 Dec 2026 03:00:00 +0000';
  const trace = via.map(
    (h) =>
      `Received: from client.example.com ([192.0.2.99])\r\n\tby ${h.by} (mxplan) with ESMTP id ${h.id};\r\n\t${date}\r\n`,
  );
  return [...trace].reverse().join('') + raw;
}

describe('the delivery key across a plan switch', () => {
  it.each([
    ['reloaded with the new plan', false],
    ['restarted under the new plan', true],
  ])('a store %s absorbs the old backup’s resend', async (_, restart) => {
    const events: MailEvent[] = [];
    const stateDir = await tempDir('trace-switch');
    const sandbox = await startSandbox({ plan: before, stateDir, profile: 'fast', log: (e) => events.push(e) });
    try {
      await sandbox.switchPlan(after);
      if (restart) {
        await sandbox.down('store1');
        await sandbox.up('store1');
      }
      const { default: nodemailer } = await import('nodemailer');
      const send = async (raw: string) => {
        const transport = nodemailer.createTransport({
          host: '127.0.0.1',
          port: sandbox.hosts.get('store1')!.port,
          secure: false,
          ignoreTLS: true,
          name: 'mx-backup.infra.example',
        });
        try {
          await transport.sendMail({ envelope: { from: 'carol@globex.example', to: ['alice@acme.example'] }, raw });
        } finally {
          transport.close();
        }
      };
      const raw = message('carol@globex.example', 'alice@acme.example', 'queued across the switch');
      const queuedOnOldBackup = { by: 'mx-backup.infra.example', id: 'OLDBACKUP1' };
      await send(relayed(raw, [queuedOnOldBackup]));
      await send(relayed(raw, [queuedOnOldBackup, { by: 'mx2.infra.example', id: 'NEWBACKUP1' }]));

      const delivered = events.filter(
        (e): e is Extract<MailEvent, { type: 'delivered' }> =>
          e.type === 'delivered' && e.host === 'store1' && e.recipient === 'alice@acme.example',
      );
      expect(delivered.map((e) => e.duplicate)).toEqual([false, true]);
      const copies = (await mailboxMessages(stateDir, 'store1', 'alice@acme.example')).filter(
        (m) => m.subject === 'queued across the switch',
      );
      expect(copies).toHaveLength(1);
    } finally {
      await sandbox.close();
    }
  });
});
