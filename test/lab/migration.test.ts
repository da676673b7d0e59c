/**
 * `mxplan verify <new> --from <old> --lab`: the migration scenario in the lab, on both MTAs,
 * with mxplan's responder and with BIND, NSD and Knot, reaching the loopback sandbox's verdict on
 * the same pair of plans. The pair: the building example, then bob moved from mail2 to mail1 and a
 * new backup MX (backup2, a host only the new plan has) in place of the old one, which drains.
 * A verdict is the exit code, every case with its status, and what the report lists to migrate.
 */
import { promises as dns } from 'node:dns';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ResourceError } from '../../src/errors.js';
import type { Lab } from '../../src/lab/lab.js';
import { must } from '../../src/lab/exec.js';
import { eventually, greeting, mailboxHolding, message, newToken } from '../engine/contract.js';
import { brokenCopy } from '../helpers/cli.js';
import { moveBob, replaceBackup } from '../helpers/migrations.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';
import { haveLab, labFactory, verifyCli, type VerifyReport } from './support/lab.js';

vi.setConfig({ testTimeout: 600_000 });
afterAll(removeTempDirs);

const building = 'examples/building/topology.yaml';

const columns = [
  { name: 'loopback sandbox', lab: undefined, engine: /^mxplan's relays and responder on loopback$/ },
  {
    name: 'lab builtin/builtin',
    lab: { mta: 'builtin', dns: 'builtin' },
    engine: /^mxplan's relays, mxplan's responder, /,
  },
  {
    name: 'lab postfix/bind',
    lab: { mta: 'postfix', dns: 'bind' },
    engine: /^Postfix \S+ and Dovecot \S+, BIND \S+, /,
  },
  { name: 'lab postfix/nsd', lab: { mta: 'postfix', dns: 'nsd' }, engine: /^Postfix \S+ and Dovecot \S+, NSD \S+, / },
  { name: 'lab builtin/knot', lab: { mta: 'builtin', dns: 'knot' }, engine: /^mxplan's relays, Knot DNS \S+, / },
] as const;

const TO_MIGRATE = 'mail already delivered to an old home (to migrate)';

/** What must be equal between engines: the exit code, each case and its status, the mail to migrate. */
function verdict(code: number | null, report: VerifyReport): string[] {
  return [
    `exit ${code}`,
    ...report.cases.map((c) => `${c.name}: ${c.status}`).sort(),
    `to migrate: ${report.cases.find((c) => c.name === TO_MIGRATE)?.note}`,
  ];
}

describe.runIf(haveLab())('verify --from in the lab: the migration reaches the loopback verdict', () => {
  it('bob moves to mail1 and backup2 replaces the backup, on every engine', async () => {
    const { file } = await brokenCopy('building', (t) => replaceBackup(moveBob(t)));
    const verdicts: string[][] = [];
    for (const column of columns) {
      const { code, report } = await verifyCli(file, column.lab, ['--from', building]);
      expect(report.engine, column.name).toMatch(column.engine);
      expect(report.scenarios.map((s) => s.name)).toEqual(['migration']);
      verdicts.push(verdict(code, report));
    }
    const loopback = verdicts[0]!;
    expect(loopback[0], 'the loopback verdict').toBe('exit 0');
    // The change is seen: bob's waves, the new MX set, mail held across the switch by the old
    // backup and after it by the new one, bob's mail delivered to mail2 before it listed.
    expect(loopback).toEqual(
      expect.arrayContaining([
        'bob@acme.example before the switch: pass',
        'bob@acme.example queued on a store while mail2 was down: pass',
        'bob@acme.example after the switch: pass',
        'acme.example MX after the switch: pass',
        'mail queued on the backup MX hosts across the switch: pass',
        "mail queued on the new plan's backup MX hosts: pass",
        'to migrate: 3 messages in 1 mailbox on mail2: bob@acme.example (3)',
      ]),
    );
    for (const [i, column] of columns.entries()) expect(verdicts[i], column.name).toEqual(loopback);
  });
});

describe.runIf(haveLab())('a switch that moves a host to other addresses, and one the lab refuses', () => {
  it.each(['builtin', 'postfix'] as const)(
    '%s: store2 restarts at 192.0.2.12, on every machine, in the DNS and for the mail',
    async (mta) => {
      const plan = await planOf(topology());
      const next = await planOf(topology((t) => (t.hosts.store2.ipv4 = ['192.0.2.12'])));
      const lab = (await labFactory({ mta, dns: 'bind' })({ plan, stateDir: await tempDir('lab-move') })) as Lab;
      try {
        await lab.switchPlan(next);
        expect(lab.plan).toBe(next);
        expect(lab.hosts.get('store2')?.planned).toEqual(['192.0.2.12']);
        expect(lab.connector.endpointFor('192.0.2.11')).toBeUndefined();
        expect(await greeting(lab, lab.connector.endpointFor('192.0.2.12')!, 15_000)).toMatch(
          /^220 mail2\.infra\.example /,
        );
        // Its link holds the new address alone; store1 has an on-link route to it, and none to the old one.
        const ip = (ns: string, ...args: string[]) => must('ip', ['-n', ns, ...args]);
        const own = await ip(lab.layout.host('store2').namespace, '-4', 'addr', 'show', 'dev', 'eth0');
        expect(own).toContain('inet 192.0.2.12/32');
        expect(own).not.toContain('192.0.2.11');
        const routes = await ip(lab.layout.host('store1').namespace, '-4', 'route', 'show');
        expect(routes).toMatch(/^192\.0\.2\.12 dev eth0/m);
        expect(routes).not.toMatch(/^192\.0\.2\.11 /m);
        // BIND serves the new address; store1 forwards carol's mail there.
        const resolver = new dns.Resolver({ timeout: 2000, tries: 3 });
        resolver.setServers([`${lab.dns.address}:${lab.dns.port}`]);
        expect(await resolver.resolve4('mail2.infra.example')).toEqual(['192.0.2.12']);
        const token = newToken();
        await lab.submit(
          'store1',
          { from: 'alice@acme.example', to: ['carol@globex.example'] },
          message(token, 'alice@acme.example', 'carol@globex.example'),
        );
        await eventually(async () =>
          expect(await mailboxHolding(lab, 'store2', 'carol@globex.example', token)).toHaveLength(1),
        );
      } finally {
        await lab.close();
      }
    },
  );

  it('refuses a plan that moves a name server, naming it, and runs on under the old plan', async () => {
    const plan = await planOf(topology());
    const next = await planOf(topology((t) => (t.dns.nameservers[1].ipv4 = ['198.51.100.54'])));
    const lab = (await labFactory({ mta: 'builtin', dns: 'builtin' })({
      plan,
      stateDir: await tempDir('lab-refuse'),
    })) as Lab;
    try {
      const refused = await lab.switchPlan(next).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ResourceError);
      expect((refused as Error).message).toMatch(
        /keeps the name servers it started with, and the new plan changes them \(.*ns2\.infra\.example 198\.51\.100\.53 → .*ns2\.infra\.example 198\.51\.100\.54\)/,
      );
      expect(lab.plan).toBe(plan);
      expect(await greeting(lab, lab.connector.endpointFor('192.0.2.11')!, 15_000)).toMatch(/^220 /);
    } finally {
      await lab.close();
    }
  });
});
