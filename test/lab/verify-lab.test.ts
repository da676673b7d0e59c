/**
 * `mxplan verify --lab` proves the building example on each MTA and each name server: Postfix
 * and Dovecot with BIND and with NSD, mxplan's relays with Knot (every MTA and every DNS server
 * at least once, three runs to keep CI bounded; the loopback-forwarded builtin DNS is covered by
 * the comparison table and the relays' contract test). The report names engine and DNS server;
 * read runs on Postfix and says, with the builtin MTA, why it does not. Outbound runs on every
 * one and passes: the relays sign with every selector, and so does Postfix with its two OpenDKIM
 * instances (RSA and Ed25519), every domain's mail and every host's DSN. MTA-STS passes on every
 * one: the lab's web host serves the policy over HTTPS, every MX holds STARTTLS. The hosting
 * example (its hosts use TEST-NET-3, so the outside stands elsewhere) passes outbound and its
 * enforced MTA-STS on each MTA: 29 domains, six hosts, every host's DSN.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { SCENARIO_NAMES } from '../../src/verify/names.js';
import { haveLab, mtaLogTails, verifyCli } from './support/lab.js';

vi.setConfig({ testTimeout: 240_000 });

const BUILDING = 'examples/building/topology.yaml';
const HOSTING = 'examples/hosting/topology.yaml';

const runs: readonly { mta: string; dns: string; engine: RegExp }[] = [
  {
    mta: 'postfix',
    dns: 'bind',
    engine: /^Postfix \d[\d.]* and Dovecot \d[\d.]*, BIND \d[\d.]*, in network namespaces/,
  },
  {
    mta: 'postfix',
    dns: 'nsd',
    engine: /^Postfix \d[\d.]* and Dovecot \d[\d.]*, NSD \d[\d.]*, in network namespaces/,
  },
  {
    mta: 'builtin',
    dns: 'knot',
    engine: /^mxplan's relays, Knot DNS \d[\d.]*, in network namespaces/,
  },
];

describe.runIf(haveLab())('mxplan verify --lab on the building example', () => {
  it.each(runs)(
    '--mta $mta --dns $dns: every scenario passes, and the report names both',
    async ({ mta, dns, engine }) => {
      // Kept, so that a failure carries the MTAs' own logs; removed here either way.
      const { code, report, stderr } = await verifyCli(BUILDING, { mta, dns }, ['--keep']);
      const failed = report.cases.filter((c) => c.status === 'fail');
      const logs = failed.length > 0 && report.stateDir ? await mtaLogTails(report.stateDir) : '';
      if (report.stateDir) await rm(report.stateDir, { recursive: true, force: true });
      expect(failed, JSON.stringify(failed, null, 2) + stderr + logs).toEqual([]);
      expect(code, stderr).toBe(0);
      expect(report.passed).toBe(true);
      expect(report.engine).toMatch(engine);
      expect(report.scenarios.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
      for (const s of report.scenarios.filter((s) => s.name !== 'read')) expect(s.passed, s.name).toBeGreaterThan(0);
      // The lab serves verify's receiver domain: every domain's mail and every host's DSN reach it.
      const sent = report.cases.filter((c) => c.scenario === 'outbound');
      expect(sent.length, JSON.stringify(sent)).toBeGreaterThan(0);
      for (const c of sent)
        expect(c, JSON.stringify(c)).toMatchObject({
          status: 'pass',
          note: expect.stringMatching(/^spf=pass dkim=pass .* dmarc=pass, from \S+ \(\w+\)$/),
        });
      // SPF is judged from the address the host really connected from, and passes.
      for (const c of sent) expect(c.observed ?? '', JSON.stringify(c)).not.toMatch(/spf=/);
      // MTA-STS (acme.example, testing mode): the policy served over HTTPS by www's namespace, and
      // every MX with STARTTLS and a lab-CA certificate for its name. In testing mode a failing MX
      // would pass with a note: none has one.
      const sts = report.cases.filter((c) => c.scenario === 'mta-sts');
      expect(sts.map((c) => c.name)).toContain('acme.example MTA-STS policy');
      for (const c of sts) expect(c, JSON.stringify(c)).toMatchObject({ status: 'pass' });
      expect(sts.filter((c) => c.note !== undefined)).toEqual([]);
      // Failover took hosts down both ways.
      const failover = report.cases.filter((c) => c.scenario === 'failover' && c.status === 'pass').map((c) => c.name);
      expect(
        failover.some((n) => n.includes(' cut off')),
        failover.join('\n'),
      ).toBe(true);
      expect(
        failover.some((n) => / down\b/.test(n)),
        failover.join('\n'),
      ).toBe(true);
      const read = report.scenarios.find((s) => s.name === 'read')!;
      if (mta === 'postfix') {
        expect(read.passed).toBeGreaterThan(0);
        const names = report.cases.filter((c) => c.scenario === 'read').map((c) => c.name);
        expect(names.some((n) => /IMAP/.test(n)) && names.some((n) => /POP3/.test(n)), names.join('\n')).toBe(true);
      } else {
        expect(read).toMatchObject({ passed: 0, failed: 0, skipped: 1 });
        expect(report.cases.find((c) => c.scenario === 'read')?.note).toMatch(
          /serves no IMAP or POP3: read runs where Dovecot does \(the lab with Postfix, or the sandbox run as an ordinary user\)/,
        );
      }
    },
  );
});

describe.runIf(haveLab())('mxplan verify --lab on the hosting example: outbound and MTA-STS', () => {
  it.each([
    { mta: 'postfix', dns: 'nsd' },
    { mta: 'builtin', dns: 'bind' },
  ])('--mta $mta --dns $dns: every domain authenticates, every MX passes its enforced policy', async (lab) => {
    // The plan's own addresses include 203.0.113.0/24, the outside's default (docs/lab.md).
    const outside = ['--outside', '198.18.0.1,3fff::1'];
    const { code, report, stderr } = await verifyCli(HOSTING, lab, [...outside, '-s', 'outbound', '-s', 'mta-sts']);
    const failed = report.cases.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2) + stderr).toEqual([]);
    expect(code, stderr).toBe(0);
    const sent = report.cases.filter((c) => c.scenario === 'outbound');
    // A message per domain that sends and per host that submits for it, and one DSN per host.
    expect(sent.length).toBeGreaterThanOrEqual(40);
    for (const c of sent)
      expect(c, JSON.stringify(c)).toMatchObject({
        status: 'pass',
        note: expect.stringMatching(/^spf=pass dkim=pass .* dmarc=pass, from \S+ \(\w+\)$/),
      });
    // hostco.example enforces its policy: fetched from www1's namespace, every MX checked.
    const sts = report.cases.filter((c) => c.scenario === 'mta-sts');
    expect(sts.map((c) => c.name)).toContain('hostco.example MTA-STS policy');
    for (const c of sts) expect(c, JSON.stringify(c)).toMatchObject({ status: 'pass' });
  });
});
