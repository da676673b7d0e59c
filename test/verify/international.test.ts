/**
 * Internationalized addresses end to end (RFC 6531, issue 10): a plan with UTF-8 local parts
 * (NFC, as lint requires) verifies clean. Verify's sender, an MTA outside the plan, delivers to
 * them over SMTPUTF8 (nodemailer asks for it for such an envelope; the relays refuse the address
 * without it), the mail lands in Maildirs named by the UTF-8 local part, travels between stores,
 * and a bounce about such an address reaches its sender.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { mxplan } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

const TOPOLOGY = `version: 1
dns:
  soa: { contact: alice@acme.example }
  nameservers:
    - { name: ns1.infra.example, ipv4: [192.0.2.53] }
    - { name: ns2.infra.example, ipv4: [198.51.100.53] }
zones: [infra.example]
hosts:
  store1: { fqdn: mail1.infra.example, ipv4: [192.0.2.10], role: store }
  store2: { fqdn: mail2.infra.example, ipv4: [192.0.2.11], role: store }
domains:
  acme.example:
    mx: [{ host: store1, preference: 10 }]
    users: { alice: store1, zoë: store1, jürgen: store2 }
    aliases: { postmaster: [alice], abuse: [alice], grüße: [jürgen, zoë] }
    dmarc: { policy: reject }
`;

interface Report {
  passed: boolean;
  stateDir?: string;
  cases: { scenario: string; name: string; status: string; trail?: string[] }[];
}

it('verifies a plan with UTF-8 local parts: delivery over SMTPUTF8, Maildirs named in UTF-8, a bounce', async () => {
  const dir = await tempDir('verify-utf8');
  const file = join(dir, 'topology.yaml');
  await writeFile(file, TOPOLOGY);
  const result = await mxplan(['verify', file, '--format', 'json', '--keep'], { env: { ...process.env, TMPDIR: dir } });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as Report;
  expect(report.passed).toBe(true);
  const delivery = (name: string) => report.cases.find((c) => c.scenario === 'delivery' && c.name === name);
  expect(delivery('zoë@acme.example')).toMatchObject({ status: 'pass', trail: ['mail1.infra.example'] });
  expect(delivery('jürgen@acme.example')).toMatchObject({
    status: 'pass',
    trail: ['mail1.infra.example', 'mail2.infra.example'],
  });
  expect(delivery('grüße@acme.example')).toMatchObject({ status: 'pass' });
  expect(report.cases.filter((c) => c.scenario === 'bounce' && c.name.startsWith('jürgen@'))).toEqual([
    expect.objectContaining({ status: 'pass' }),
  ]);
  // the directories are the UTF-8 local parts, byte for byte
  const state = report.stateDir!;
  const names = await readdir(join(state, 'store2', 'maildir', 'acme.example'), { encoding: 'buffer' });
  expect(names).toContainEqual(Buffer.from('jürgen', 'utf8'));

  // every hop of jürgen's and zoë's mail, verify's sender the first, spoke SMTPUTF8 (RFC 6531 §3.7.3);
  // a hop between relays ran STARTTLS first, so it says UTF8SMTPS (RFC 6531 §4.3)
  for (const [host, local] of [
    ['store2', 'jürgen'],
    ['store1', 'zoë'],
  ] as const) {
    const mails = await messages(join(state, host, 'maildir', 'acme.example', local));
    expect(mails.length, local).toBeGreaterThan(0);
    for (const mail of mails) {
      const received = receivedHeaders(mail);
      expect(received.length).toBeGreaterThan(0);
      for (const r of received) expect(r, local).toMatch(/ with UTF8SMTPS? id /);
      expect(mail.toString('utf8')).toMatch(
        new RegExp(`^Return-Path: <[^>]*>\\r\\nDelivered-To: ${local}@acme\\.example\\r\\n`),
      );
    }
  }
  // the bounce about jürgen (sent in an engine of its own, isolated-N/) is an RFC 6533 DSN
  const isolated = (await readdir(state)).filter((name) => name.startsWith('isolated-'));
  const dsns = (
    await Promise.all(
      isolated.map((name) => messages(join(state, name, 'store1', 'maildir', 'acme.example', 'alice')).catch(() => [])),
    )
  )
    .flat()
    .filter((m) => m.includes('Undelivered Mail Returned to Sender'));
  expect(dsns.map((m) => m.toString('utf8'))).toContainEqual(
    expect.stringMatching(
      /Content-Type: message\/global-delivery-status[\s\S]*Final-Recipient: utf-8; jürgen@acme.example/,
    ),
  );
}, 120_000);

async function messages(mailbox: string): Promise<Buffer[]> {
  const dir = join(mailbox, 'new');
  return Promise.all((await readdir(dir)).map((name) => readFile(join(dir, name))));
}

/** The Received fields of a message's header section, unfolded. */
function receivedHeaders(message: Buffer): string[] {
  const header = message.toString('utf8').split('\r\n\r\n')[0]!;
  return header
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .filter((line) => /^received:/i.test(line));
}
