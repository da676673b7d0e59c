/**
 * `mxplan verify <new> --from <old>`: the migrations of the building example are proven (bob
 * moves, a new backup MX replaces the old one, a store is retired), an engine that does not
 * switch is caught, and the judge of one message is held to its rules case by case.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineFactory } from '../../src/sandbox/engine.js';
import { builtinEngine } from '../../src/sandbox/sandbox.js';
import { loadPlan } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';
import { formatVerify } from '../../src/verify/report.js';
import { verifyPlan } from '../../src/verify/run.js';
import { judgeMigrated, migrationTargets, type PhasedCopy } from '../../src/verify/scenarios/migration.js';
import { brokenCopy, mxplan, ROOT } from '../helpers/cli.js';
import { moveBob, replaceBackup, retireMail2 } from '../helpers/migrations.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

const building = 'examples/building/topology.yaml';

interface Report {
  passed: boolean;
  scenarios: { name: string; passed: number; failed: number }[];
  cases: { name: string; status: string; expected?: string; observed?: string; note?: string }[];
}

async function plan(file: string): Promise<Plan> {
  const { plan } = await loadPlan(file);
  if (!plan) throw new Error(`${file} does not load`);
  return plan;
}

async function verifyFrom(edit: (t: string) => string): Promise<{ code: number | null; report: Report }> {
  const { file } = await brokenCopy('building', edit);
  const { code, stdout, stderr } = await mxplan(['verify', file, '--from', building, '--format', 'json']);
  expect(stderr).toContain('migration');
  return { code, report: JSON.parse(stdout) as Report };
}

const note = (r: Report, name: string) => r.cases.find((c) => c.name === name)?.note;

describe('mxplan verify --from, on the building example', () => {
  it('proves that bob moves from mail2 to mail1: mail waits on mail1 and the backup, and lands on mail1', async () => {
    const { code, report } = await verifyFrom(moveBob);
    expect(report.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(report.scenarios).toMatchObject([{ name: 'migration', failed: 0 }]);
    const names = report.cases.map((c) => c.name);
    // mail1, acme's MX, stays up to hold bob's mail for mail2 while it switches to the new plan.
    for (const wave of [
      'before the switch',
      'queued on a store while mail2 was down',
      'after the switch',
      'after the switch, queued on a backup while mail1, mail2 were down',
    ])
      expect(names).toContain(`bob@acme.example ${wave}`);
    // Before the switch bob, all@ and sales@ reached bob's old mailbox: listed, not lost.
    expect(note(report, 'mail already delivered to an old home (to migrate)')).toBe(
      '3 messages in 1 mailbox on mail2: bob@acme.example (3)',
    );
    expect(note(report, 'mail queued on the backup MX hosts across the switch')).toMatch(
      /^\d+ messages? held by backup$/,
    );
  });

  it('proves a new backup MX replacing the old one: the old drains, the new takes mail', async () => {
    const { code, report } = await verifyFrom(replaceBackup);
    expect(report.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(report.cases.find((c) => c.name === 'acme.example MX after the switch')?.status).toBe('pass');
    expect(note(report, 'mail queued on the backup MX hosts across the switch')).toMatch(/held by backup$/);
    expect(note(report, "mail queued on the new plan's backup MX hosts")).toMatch(/held by backup2$/);
    expect(note(report, 'mail already delivered to an old home (to migrate)')).toBe('none');
  });

  it('proves a store retired: its users move to mail1, its mail is listed to migrate', async () => {
    const { code, report } = await verifyFrom(retireMail2);
    expect(report.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(note(report, 'mail already delivered to an old home (to migrate)')).toMatch(
      /^\d+ messages in 6 mailboxes on mail2: bob@acme\.example \(3\), carol@globex\.example/,
    );
    expect(report.cases.find((c) => c.name === 'globex.example MX after the switch')?.status).toBe('pass');
  });

  it('refuses --scenario beside --from (exit 2)', async () => {
    const { code, stderr } = await mxplan(['verify', building, '--from', building, '--scenario', 'dns']);
    expect(code).toBe(2);
    expect(stderr).toContain('--from runs the migration scenario');
  });
});

describe('verify --from against an engine that does not switch', () => {
  it('fails the mail that lands in an old home after the switch', async () => {
    const from = await plan(`${ROOT}/${building}`);
    const to = await plan((await brokenCopy('building', moveBob)).file);
    // The built-in engine, with a switchPlan that does nothing: the hosts and the DNS stay old.
    const stale: EngineFactory = async (options) => {
      const engine = await builtinEngine(options);
      return new Proxy(engine, {
        get: (target, key) => (key === 'switchPlan' ? async () => {} : Reflect.get(target, key, target)),
      });
    };
    const result = await verifyPlan({ plan: from, migrateTo: to, engine: stale, patience: 3000 });
    const failed = result.cases.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toContain('bob@acme.example after the switch');
    expect(failed.find((c) => c.name === 'bob@acme.example after the switch')?.observed).toBe(
      'bob@acme.example on mail2 after the switch, where its home was mail1',
    );
    // What reached mail2 before the switch is still not lost: the report lists it to migrate.
    expect(result.cases.find((c) => c.name === 'bob@acme.example before the switch')?.status).toBe('pass');
    expect(formatVerify('text', result, { color: false, topology: 'old → new' })).toContain(
      '\nmail already delivered to an old home (to migrate): 3 messages in 1 mailbox on mail2: bob@acme.example (3)\n',
    );
  });
});

describe('judgeMigrated', () => {
  const target = async () => {
    const from = await plan(`${ROOT}/${building}`);
    const to = await plan((await brokenCopy('building', moveBob)).file);
    const targets = migrationTargets(from, to);
    return {
      targets,
      bob: targets.find((t) => t.address === 'bob@acme.example')!,
      sales: targets.find((t) => t.address === 'sales@acme.example')!,
    };
  };
  const copy = (address: string, hostId: string, phase: PhasedCopy['phase'], dsn = false): PhasedCopy => ({
    address,
    hostId,
    phase,
    dsn,
    file: `${hostId}/${address}/${phase}`,
    trail: [],
  });

  it('takes the addresses whose mailboxes move, and one of each other domain', async () => {
    const { targets } = await target();
    expect(targets.map((t) => t.address)).toEqual([
      'postmaster@tower.example',
      'bob@acme.example',
      'all@acme.example',
      'sales@acme.example',
      'postmaster@globex.example',
      'postmaster@initech.example',
    ]);
  });

  it.each([
    ['before the switch at the old home: to migrate', [['bob@acme.example', 'mail2', 'before']], 'pass', ['mail2']],
    ['after the switch at the new home', [['bob@acme.example', 'mail1', 'after']], 'pass', []],
    ['during the switch at either home', [['bob@acme.example', 'mail2', 'during']], 'pass', []],
    ['after the switch at the old home', [['bob@acme.example', 'mail2', 'after']], 'fail', []],
    ['before the switch at the new home', [['bob@acme.example', 'mail1', 'before']], 'fail', []],
    [
      'twice',
      [
        ['bob@acme.example', 'mail2', 'before'],
        ['bob@acme.example', 'mail1', 'after'],
      ],
      'fail',
      [],
    ],
    ['nowhere', [], 'fail', []],
  ] as const)('bob: %s', async (_name, copies, status, toMigrate) => {
    const { bob } = await target();
    const judged = judgeMigrated(
      bob,
      copies.map(([a, h, p]) => copy(a, h, p)),
    );
    expect(judged.verdict.status).toBe(status);
    expect(judged.toMigrate.map((m) => m.hostId)).toEqual(toMigrate);
  });

  it('wants every member of an alias once, and fails a bounce', async () => {
    const { sales, bob } = await target();
    const members = [
      copy('alice@acme.example', 'mail1', 'after'),
      copy('bob@acme.example', 'mail1', 'after'),
      copy('carol@globex.example', 'mail2', 'after'),
    ];
    expect(judgeMigrated(sales, members).verdict.status).toBe('pass');
    expect(judgeMigrated(sales, members.slice(0, 2)).verdict).toMatchObject({ status: 'fail' });
    expect(
      judgeMigrated(bob, [copy('bob@acme.example', 'mail1', 'after'), copy('bob@acme.example', 'mail1', 'after', true)])
        .verdict,
    ).toMatchObject({
      status: 'fail',
      observed: expect.stringMatching(/^bounced/),
    });
  });
});
