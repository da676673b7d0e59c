/** The mailbox index reads Maildirs as any reader would: probes by their header, DSNs by their report. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
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

it('counts a host that hands a message to itself as one hop, and a message moved to cur/ once', async () => {
  const state = await tempDir('mailboxes-postfix');
  // Postfix's Received, then Dovecot's LMTP one on the same host (as the lab's stores write them).
  const text = [
    'Received: from mail2.infra.example by mail2.infra.example with LMTP id x (Dovecot); Sat, 28 Nov 2026 04:00:02 +0000',
    'Received: from mail1.infra.example (mail1.infra.example [192.0.2.10])',
    '\tby mail2.infra.example (Postfix) with ESMTP id B; Sat, 28 Nov 2026 04:00:01 +0000',
    'Received: from mta.outside.example (unknown [203.0.113.1])',
    '\tby mail1.infra.example (Postfix) with ESMTP id A; Sat, 28 Nov 2026 04:00:00 +0000',
    'X-Mxplan-Probe: tok3',
    '',
    'body',
  ].join('\n');
  await deliver(state, 'store2', 'bob@acme.example', '1700000000.M1P2.mail2', text);
  const index = new MailboxIndex(new Map([['store2', hostLayout(state, 'store2').maildirRoot]]));
  await index.scan();
  expect(index.copiesOf('tok3').map((c) => c.trail)).toEqual([['mail1.infra.example', 'mail2.infra.example']]);

  // A reader (Dovecot, for an IMAP login) moves it to cur/ with its flags: still one copy.
  const box = join(hostLayout(state, 'store2').maildirRoot, 'acme.example', 'bob');
  await mkdir(join(box, 'cur'), { recursive: true });
  await rename(join(box, 'new', '1700000000.M1P2.mail2'), join(box, 'cur', '1700000000.M1P2.mail2:2,S'));
  await index.scan();
  expect(index.copiesOf('tok3')).toHaveLength(1);
});
