/** The mailbox index reads Maildirs as any reader would: probes by their header, DSNs by their report. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hostLayout } from '../../src/state-layout.js';
import { MailboxIndex } from '../../src/verify/mailboxes.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

async function deliver(state: string, hostId: string, address: string, name: string, text: string): Promise<void> {
  const [local, domain] = address.split('@') as [string, string];
  const dir = join(state, hostId, 'maildir', domain, local, 'new');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), text.replace(/\n/g, '\r\n'));
}

it('indexes probes with their Received trail, oldest hop first, and DSNs about them', async () => {
  const state = await tempDir('mailboxes');
  await deliver(
    state,
    'store2',
    'bob@acme.example',
    '1.a.mail2',
    [
      'Received: from mail1.infra.example (127.0.0.1)',
      '\tby mail2.infra.example (mxplan) id B; Sat, 28 Nov 2026 04:00:01 +0000',
      'Received: from mta.outside.example ([127.0.0.1])',
      '\tby MAIL1.infra.example (mxplan) with ESMTP id A; Sat, 28 Nov 2026 04:00:00 +0000',
      'X-Mxplan-Probe: tok1',
      'Subject: probe',
      '',
      'body',
    ].join('\n'),
  );
  await deliver(
    state,
    'store1',
    'alice@acme.example',
    '2.b.mail1',
    [
      'Received: by mx-backup.infra.example (mxplan) id C; Sat, 28 Nov 2026 04:00:02 +0000',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/rfc822-headers',
      '',
      'X-Mxplan-Probe: tok2',
      'Subject: lost',
      '--b--',
    ].join('\n'),
  );
  await deliver(state, 'store1', 'alice@acme.example', '3.c.mail1', 'Subject: no probe here\n\nhello\n');

  const index = new MailboxIndex(
    new Map(['store1', 'store2', 'backup'].map((id) => [id, hostLayout(state, id).maildirRoot])),
  );
  await index.scan();
  expect(index.copiesOf('tok1')).toMatchObject([
    {
      hostId: 'store2',
      address: 'bob@acme.example',
      trail: ['mail1.infra.example', 'mail2.infra.example'],
      dsn: false,
    },
  ]);
  expect(index.copiesOf('tok2')).toMatchObject([{ hostId: 'store1', address: 'alice@acme.example', dsn: true }]);

  // Each file is read once: a second scan adds nothing, a new file is found by a targeted read.
  await index.scan();
  expect(index.copiesOf('tok1')).toHaveLength(1);
  await deliver(state, 'store2', 'bob@acme.example', '4.d.mail2', 'X-Mxplan-Probe: tok1\n\nagain\n');
  index.scanMailbox('store2', 'bob@acme.example');
  expect(index.copiesOf('tok1')).toHaveLength(2);
});
