/**
 * The sandbox's TLS, checked with clients nobody here wrote: OpenSSL's s_client does STARTTLS
 * (RFC 3207) against a relay and validates its certificate against the sandbox's CA alone; curl
 * fetches an MTA-STS policy over HTTPS (RFC 8461 §3.3) with that CA. Relays use STARTTLS with each
 * other (the Received header says ESMTPS, RFC 3848), and the CA and certificates are kept across
 * starts of one state directory.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { tlsLayout } from '../../src/state-layout.js';
import { policyText } from '../../src/tls/mta-sts.js';
import { dnsNames, openPki } from '../../src/tls/pki.js';
import { mailboxMessages } from '../helpers/maildir.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';
import { withSts } from '../helpers/sts.js';
import { planOf } from '../helpers/topology.js';

const run = promisify(execFile);
afterAll(removeTempDirs);

const withPolicy = withSts('enforce', (t) => (t.web.www.ipv6 = ['2001:db8::80']));
const plan = await planOf(withPolicy);

/** openssl s_client -starttls smtp, validating against `caFile` for `name`; its whole output. */
async function starttls(port: number, caFile: string, name: string): Promise<{ ok: boolean; output: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-starttls', 'smtp', '-CAfile', caFile];
  args.push('-verify_hostname', name, '-verify_return_error', '-servername', name, '-brief');
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill(), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output });
    });
    // After the handshake, end the session; s_client quits when its input ends.
    child.stdin.end('QUIT\r\n');
  });
}

/** Submits a message at store1 for bob (homed on store2) and returns the Received headers of the copy in his mailbox. */
async function forwardedToBob(sandbox: Sandbox, stateDir: string): Promise<string[]> {
  await sandbox.submit(
    'store1',
    { from: 'alice@acme.example', to: ['bob@acme.example'] },
    Buffer.from('Subject: forwarded\r\n\r\nhello\r\n'),
  );
  let messages: Awaited<ReturnType<typeof mailboxMessages>> = [];
  for (let i = 0; i < 100 && messages.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    messages = await mailboxMessages(stateDir, 'store2', 'bob@acme.example');
  }
  expect(messages).toHaveLength(1);
  return [messages[0]!.headers.get('received')].flat().map(String);
}

describe('STARTTLS on the relays', () => {
  it.runIf(requireTool('openssl'))(
    'offers STARTTLS with a certificate for the host that OpenSSL validates against the sandbox CA, for that name only',
    async () => {
      const stateDir = await tempDir('tls');
      await using sandbox = await startSandbox({ plan, stateDir });
      const { caFile } = sandbox.pki;
      const port = sandbox.hosts.get('store1')!.port;

      const good = await starttls(port, caFile, 'mail1.infra.example');
      expect(good.output).toMatch(/Verification: OK/);
      expect(good.ok).toBe(true);

      // Another host's name: the certificate does not name it (RFC 6125), so validation fails.
      const wrongName = await starttls(port, caFile, 'mail2.infra.example');
      expect(wrongName.ok).toBe(false);
      expect(wrongName.output).toMatch(/hostname mismatch|verify error/i);

      // A CA of another state directory is not this sandbox's: nothing chains to it.
      const other = await openPki(await tempDir('tls-other'), []);
      const wrongCa = await starttls(port, other.caFile, 'mail1.infra.example');
      expect(wrongCa.ok).toBe(false);
      expect(wrongCa.output).toMatch(/unable to get local issuer certificate|verify error/i);
    },
  );

  it('relays STARTTLS to each other: the receiving host records ESMTPS (RFC 3848)', async () => {
    const stateDir = await tempDir('tls');
    await using sandbox = await startSandbox({ plan, stateDir });
    // bob is homed on store2; a submission at store1 is forwarded there.
    const received = await forwardedToBob(sandbox, stateDir);
    expect(received[0]).toMatch(/by mail2\.infra\.example \(mxplan\) with ESMTPS /);
  });

  it('relays speak plain SMTP when the profile has TLS off (what a benchmark measures against)', async () => {
    const stateDir = await tempDir('tls');
    await using sandbox = await startSandbox({ plan, stateDir, overrides: { tls: false } });
    const received = await forwardedToBob(sandbox, stateDir);
    expect(received[0]).toMatch(/by mail2\.infra\.example \(mxplan\) with ESMTP id/);
  });
});

describe('the MTA-STS policy over HTTPS', () => {
  it.runIf(requireTool('curl'))(
    'curl fetches the plan’s policy from mta-sts.<domain> with the sandbox CA, as text/plain',
    async () => {
      const stateDir = await tempDir('tls');
      await using sandbox = await startSandbox({ plan, stateDir });
      const endpoints = JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as {
        web: Record<string, { port: number }>;
        tls: { ca: string };
      };
      const port = endpoints.web['www']!.port;
      const url = `https://mta-sts.acme.example:${port}/.well-known/mta-sts.txt`;
      const curl = (ca: string, name = 'mta-sts.acme.example') =>
        run(
          'curl',
          ['--silent', '--show-error', '--fail', '--cacert', ca, '--resolve', `${name}:${port}:127.0.0.1`].concat([
            '--write-out',
            '\\n%{content_type}',
            url.replace('mta-sts.acme.example', name),
          ]),
          { timeout: 10_000 },
        );
      const { stdout } = await curl(endpoints.tls.ca);
      const [body, contentType] = [
        stdout.slice(0, stdout.lastIndexOf('\n')),
        stdout.slice(stdout.lastIndexOf('\n') + 1),
      ];
      expect(body).toBe(policyText(plan.domains.get('acme.example')!.mtaSts!));
      expect(body).toMatch(
        /^version: STSv1\r\nmode: enforce\r\nmx: mail1\.infra\.example\r\nmx: mx-backup\.infra\.example\r\nmax_age: 604800\r\n$/,
      );
      expect(contentType).toMatch(/^text\/plain/);

      // A domain without a policy here: the certificate does not even name it.
      await expect(curl(endpoints.tls.ca, 'mta-sts.globex.example')).rejects.toThrow(/certificate|SSL/i);
      // Another CA: refused.
      const other = await openPki(await tempDir('tls-other'), []);
      await expect(curl(other.caFile)).rejects.toThrow(/certificate/i);
      void sandbox;
    },
  );
});

describe('the throwaway PKI', () => {
  it('keeps the CA and certificates of a state directory, and reissues a certificate whose names changed', async () => {
    const stateDir = await tempDir('tls');
    const layout = tlsLayout(stateDir);
    const subject = (names: string[]) => ({ id: 'host:a', files: layout.host('a'), names });
    const first = await openPki(stateDir, [subject(['a.example'])]);
    const again = await openPki(stateDir, [subject(['a.example'])]);
    expect(again.ca).toBe(first.ca);
    expect(again.identities.get('host:a')!.cert).toBe(first.identities.get('host:a')!.cert);

    const renamed = await openPki(stateDir, [subject(['b.example', 'a.example'])]);
    expect(renamed.ca).toBe(first.ca);
    const cert = new X509Certificate(renamed.identities.get('host:a')!.cert);
    expect(dnsNames(cert).sort()).toEqual(['a.example', 'b.example']);
    expect(cert.checkIssued(new X509Certificate(renamed.ca))).toBe(true);
    expect(cert.verify(new X509Certificate(renamed.ca).publicKey)).toBe(true);
    // The private key is the owner's alone.
    const { statSync } = await import('node:fs');
    expect(statSync(layout.host('a').key).mode & 0o077).toBe(0);
    expect(statSync(layout.caKey).mode & 0o077).toBe(0);
  });
});
