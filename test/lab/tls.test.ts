/**
 * TLS and MTA-STS in the lab (issues 13/14), on the small plan of the MTA-STS tests: web host
 * `www` (192.0.2.80) serves acme.example's policy in enforce mode. With either MTA, verify's
 * mta-sts scenario fetches the policy over HTTPS from the web host's namespace and finds
 * STARTTLS with a lab-CA certificate at every MX address; a plan whose policy leaves the backup
 * out fails, naming why. Then, on Postfix, clients nobody here wrote: `openssl s_client
 * -starttls smtp` from the outside sees each host's certificate for its planned name, chained
 * to the lab's CA, and Dovecot's on IMAP; `curl --cacert` inside the lab fetches the policy by
 * name; and the backup, relaying to acme.example's MX under tls_policy's `secure`, logs a
 * verified session, while globex.example (no policy) goes opportunistic.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Lab } from '../../src/lab/lab.js';
import { tlsLayout } from '../../src/state-layout.js';
import type { Plan } from '../../src/topology/types.js';
import { verifyPlan, type VerifyResult } from '../../src/verify/run.js';
import { withSts } from '../helpers/sts.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';
import { planOf } from '../helpers/topology.js';
import { haveLab, labFactory } from './support/lab.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ready = haveLab() && requireTool('openssl') && requireTool('curl');

const stsCases = (result: VerifyResult) => result.cases.filter((c) => c.scenario === 'mta-sts');

afterAll(removeTempDirs);

describe.runIf(ready).each(['builtin', 'postfix'] as const)('MTA-STS in the lab, --mta %s', (mta) => {
  const engine = labFactory({ mta, dns: 'builtin' });

  it('passes a plan whose enforced policy names every MX: served over HTTPS, STARTTLS at every MX address', async () => {
    const result = await verifyPlan({ plan: await planOf(withSts('enforce')), engine, scenarios: ['mta-sts'] });
    expect(stsCases(result).map((c) => [c.name, c.status, c.observed])).toEqual([
      [
        'acme.example MTA-STS policy',
        'pass',
        expect.stringMatching(
          /^mode enforce, max_age \d+, id \w+, mx: mail1\.infra\.example, mx-backup\.infra\.example$/,
        ),
      ],
      ['acme.example MX mail1.infra.example under MTA-STS (enforce)', 'pass', undefined],
      ['acme.example MX mx-backup.infra.example under MTA-STS (enforce)', 'pass', undefined],
    ]);
  });

  it('fails a plan whose policy leaves the backup MX out, naming the cause', async () => {
    const plan = await planOf(
      withSts('enforce', (t) => (t.domains['acme.example'].mtaSts.mx = ['mail1.infra.example'])),
    );
    const result = await verifyPlan({ plan, engine, scenarios: ['mta-sts'] });
    expect(
      stsCases(result)
        .filter((c) => c.status === 'fail')
        .map((c) => [c.name, c.observed]),
    ).toEqual([
      [
        'acme.example MX mx-backup.infra.example under MTA-STS (enforce)',
        'the served policy does not name it (mx: mail1.infra.example, RFC 8461 §4.1)',
      ],
    ]);
  });
});

describe.runIf(ready)('TLS of the Postfix lab, seen by real clients', () => {
  let plan: Plan;
  let lab: Lab;
  let ca: string;

  beforeAll(async () => {
    plan = await planOf(withSts('enforce'));
    lab = (await labFactory({ mta: 'postfix', dns: 'builtin' })({ plan, stateDir: await tempDir('lab-tls') })) as Lab;
    ca = tlsLayout(lab.stateDir).caCert;
  });
  afterAll(() => lab?.close());

  /** A shell script in one of the lab's namespaces: its output (stdout and stderr) and exit code. */
  const inNamespace = (namespace: string, script: string) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('ip', ['netns', 'exec', namespace, 'sh', '-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.once('close', (code) => resolve({ code, out }));
    });

  /**
   * openssl s_client from the outside, the server's certificate checked for `name` under the lab's
   * CA alone: its exit code and output, then the certificate's subjectAltName and issuer.
   */
  const sClient = (address: string, port: number, starttls: string | undefined, name: string) =>
    inNamespace(
      lab.layout.outside.namespace,
      [
        `out=$(openssl s_client -connect '${address.includes(':') ? `[${address}]` : address}:${port}'`,
        starttls ? `-starttls ${starttls}` : '',
        `-servername ${name} -verify_hostname ${name} -CAfile '${ca}' -verify_return_error -no-CApath -no-CAstore`,
        `</dev/null 2>&1); rc=$?; printf '%s\\n' "$out";`,
        `printf '%s\\n' "$out" | openssl x509 -noout -ext subjectAltName -issuer; exit $rc`,
      ].join(' '),
    );

  it('openssl s_client -starttls smtp from the outside: each host, at each planned address, shows its name under the lab CA', async () => {
    const caSubject = (await inNamespace(lab.layout.outside.namespace, `openssl x509 -noout -subject -in '${ca}'`)).out
      .trim()
      .replace(/^subject=/, '');
    expect(caSubject).toMatch(/mxplan sandbox CA/);
    for (const host of plan.hosts.values())
      for (const address of [...host.ipv4, ...host.ipv6]) {
        const { code, out } = await sClient(address, 25, 'smtp', host.fqdn);
        expect(code, out).toBe(0);
        expect(out, `${host.id} [${address}]`).toMatch(/Verification: OK/);
        expect(out).toContain(`Verified peername: ${host.fqdn}`);
        expect(out).toMatch(new RegExp(`DNS:${host.fqdn.replace(/\./g, '\\.')}\\s*$`, 'm'));
        expect(out).toContain(`issuer=${caSubject}`);
      }
  });

  it("Dovecot offers STARTTLS on IMAP and POP3 and implicit TLS on 993 and 995, with the store's certificate", async () => {
    const store = plan.hosts.get('store1')!;
    const address = store.ipv4[0]!;
    for (const [port, starttls] of [
      [143, 'imap'],
      [110, 'pop3'],
      [993, undefined],
      [995, undefined],
    ] as const) {
      const { code, out } = await sClient(address, port, starttls, store.fqdn);
      expect(code, `${port}: ${out}`).toBe(0);
      expect(out, String(port)).toMatch(/Verification: OK/);
      expect(out).toContain(`Verified peername: ${store.fqdn}`);
    }
  });

  it('curl --cacert inside the lab fetches the policy at https://mta-sts.acme.example/.well-known/mta-sts.txt', async () => {
    const url = 'https://mta-sts.acme.example/.well-known/mta-sts.txt';
    const write = '\\n%{http_code} %{content_type} %{remote_ip}';
    const { code, out } = await inNamespace(
      lab.layout.outside.namespace,
      `curl --silent --show-error --cacert '${ca}' --write-out '${write}' ${url}`,
    );
    expect(code, out).toBe(0);
    const lines = out.split(/\r?\n/);
    // RFC 8461 §3.2, the plan's policy: every MX by name, in MX order; served from the web host's address.
    expect(lines.slice(0, 5)).toEqual([
      'version: STSv1',
      'mode: enforce',
      'mx: mail1.infra.example',
      'mx: mx-backup.infra.example',
      `max_age: ${plan.domains.get('acme.example')!.mtaSts!.maxAge}`,
    ]);
    expect(lines.at(-1)).toBe('200 text/plain 192.0.2.80');
    // Its certificate names the policy hosts it serves and no other: globex.example's, asked at
    // the same address, fails the name check (curl's 60: the peer certificate cannot be verified).
    const other = await inNamespace(
      lab.layout.outside.namespace,
      `curl --silent --show-error --cacert '${ca}' --resolve mta-sts.globex.example:443:192.0.2.80 https://mta-sts.globex.example/.well-known/mta-sts.txt`,
    );
    expect(other.code, other.out).toBe(60);
    expect(other.out).toMatch(/mta-sts\.globex\.example/);
  });

  it("the backup relays acme.example's mail under tls_policy's secure, and globex.example's opportunistically", async () => {
    const log = join(lab.stateDir, 'backup', 'log', 'postfix.log');
    for (const to of ['alice@acme.example', 'carol@globex.example'])
      await lab.submit(
        'backup',
        { from: 'postmaster@acme.example', to: [to] },
        Buffer.from(`From: postmaster@acme.example\r\nTo: ${to}\r\nSubject: tls\r\n\r\nvia the backup\r\n`),
      );
    const deadline = Date.now() + 30_000;
    let text = '';
    const wanted = [
      // Verified: the certificate checked against smtp_tls_CAfile and a name of the policy (secure).
      /postfix\/smtp\[\d+\]: Verified TLS connection established to mail1\.infra\.example\[192\.0\.2\.10\]:25/,
      // Trusted: it chains to the CA, but nothing required its name (may).
      /postfix\/smtp\[\d+\]: Trusted TLS connection established to mail2\.infra\.example\[192\.0\.2\.11\]:25/,
      // Each delivery is logged after its session's TLS line: wait for both.
      /to=<alice@acme\.example>, relay=mail1\.infra\.example\[192\.0\.2\.10\]:25, .*status=sent/,
      /to=<carol@globex\.example>, relay=mail2\.infra\.example\[192\.0\.2\.11\]:25, .*status=sent/,
    ];
    while (Date.now() < deadline) {
      text = await readFile(log, 'utf8').catch(() => '');
      if (wanted.every((w) => w.test(text))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const w of wanted) expect(text).toMatch(w);
  });
});
