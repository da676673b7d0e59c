import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan, parsePlan } from '../../src/topology/load.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';

afterAll(removeTempDirs);

async function findingsOf(text: string, files: Record<string, string> = {}) {
  const { plan, findings } = await parsePlan(text, 'topo.yaml', async (name) => {
    if (name in files) return files[name]!;
    throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  });
  return {
    plan,
    findings: findings.map((f) => ({
      rule: f.rule,
      line: f.location.line,
      column: f.location.column,
      message: f.message,
    })),
  };
}

const MINIMAL = `version: 1
dns:
  soa: { contact: hostmaster@infra.example }
  nameservers: [{ name: ns1.infra.example, ipv4: [192.0.2.53] }]
hosts:
  store1: { fqdn: mail1.infra.example, ipv4: [192.0.2.10] }
domains:
  Acme.Example.:
    mx: [{ host: store1, preference: 10 }]
    users: { Alice: store1 }
    aliases: { postmaster: [alice], sales: [Alice, carol@Globex.Example] }
`;

describe('loading', () => {
  it('canonicalises names, addresses and defaults once', async () => {
    const { plan } = await findingsOf(MINIMAL);
    const acme = plan!.domains.get('acme.example')!;
    expect(acme.display).toBe('Acme.Example.');
    expect([...acme.users.keys()]).toEqual(['alice']);
    expect(acme.users.get('alice')!.home?.id).toBe('store1');
    expect(acme.aliases.get('sales')!.members.map((m) => m.address)).toEqual([
      'alice@acme.example',
      'carol@globex.example',
    ]);
    expect(acme.mx[0]!.exchange).toBe('mail1.infra.example');
    expect(acme.senders.map((h) => h.id)).toEqual(['store1']);
    expect([...acme.homeIds]).toEqual(['store1']);
    expect(plan!.soa).toMatchObject({
      contact: 'hostmaster@infra.example',
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 3600,
    });
    expect(plan!.addresses.get('sales@acme.example')?.kind).toBe('alias');
  });

  it('turns IDN U-labels into A-labels', async () => {
    const plan = await planOf(topology((t) => (t.domains['bücher.example'] = { mx: null })));
    expect(plan.domains.has('xn--bcher-kva.example')).toBe(true);
    expect(plan.domains.get('xn--bcher-kva.example')!.display).toBe('bücher.example');
  });

  it('gives every node its line and column', async () => {
    const { plan } = await findingsOf(MINIMAL);
    const acme = plan!.domains.get('acme.example')!;
    expect(acme.at).toMatchObject({ line: 8, column: 3, path: '/domains/Acme.Example.' });
    expect(acme.mx[0]!.at).toMatchObject({ line: 9, path: '/domains/Acme.Example./mx/0' });
    expect(acme.aliases.get('sales')!.members[1]!.at).toMatchObject({
      line: 11,
      path: '/domains/Acme.Example./aliases/sales/1',
    });
  });

  it('orders MX by preference, keeping the written order among equals', async () => {
    const plan = await planOf(
      topology((t) => {
        t.domains['acme.example'].mx = [
          { host: 'backup', preference: 50 },
          { host: 'store2', preference: 10 },
          { host: 'store1', preference: 10 },
        ];
      }),
    );
    expect(plan.domains.get('acme.example')!.mx.map((m) => m.host?.id)).toEqual(['store2', 'store1', 'backup']);
  });

  it('reads sizes and durations with units', async () => {
    const plan = await planOf(
      topology((t) => {
        t.hosts.store1.limits.storage = '1.5TiB';
        t.hosts.backup.queue = { lifetime: '7d' };
        t.defaults.plannedOutage = '36h';
      }),
    );
    expect(plan.hosts.get('store1')!.limits.storage).toBe(1.5 * 2 ** 40);
    expect(plan.hosts.get('backup')!.queueLifetime).toBe(7 * 86400);
    expect(plan.plannedOutage).toBe(36 * 3600);
    expect(plan.domains.get('acme.example')!.users.get('bob')!.quota).toBe(5 * 2 ** 30);
  });

  it('reads users from a CSV file beside the topology, with their lines', async () => {
    const text = MINIMAL.replace('    users: { Alice: store1 }\n', '    usersFile: users.csv\n');
    const { plan, findings } = await findingsOf(text, {
      'users.csv': 'local,host,quota\n# exported 2026-11-01\nalice,store1,2GiB\n"bob",store1,\n',
    });
    expect(findings).toEqual([]);
    const users = plan!.domains.get('acme.example')!.users;
    expect([...users.keys()]).toEqual(['alice', 'bob']);
    expect(users.get('alice')).toMatchObject({ quota: 2 * 2 ** 30, at: { line: 3 } });
    expect(users.get('bob')!.at.file).toMatch(/users\.csv$/);
  });

  it('keeps the first of two definitions of a user and records the repeat', async () => {
    const text = MINIMAL.replace(
      '    users: { Alice: store1 }\n',
      '    users: { Alice: store1 }\n    usersFile: users.csv\n',
    );
    const { plan } = await findingsOf(text, { 'users.csv': 'local,host\nalice,store9\n' });
    const acme = plan!.domains.get('acme.example')!;
    expect(acme.users.get('alice')!.homeId).toBe('store1');
    expect(acme.repeatedUsers.map((u) => [u.homeId, u.at.line])).toEqual([['store9', 2]]);
  });
});

describe('bad input is reported as findings with positions, never thrown', () => {
  it.each([
    ['a YAML syntax error', 'version: 1\nhosts: [\n', [{ rule: 'topology-syntax', line: 3 }]],
    ['a duplicate key', MINIMAL.replace('hosts:', 'version: 1\nhosts:'), [{ rule: 'topology-syntax', line: 5 }]],
    [
      'a misspelt key, with a hint',
      MINIMAL.replace('preference: 10', 'preferense: 10'),
      [{ rule: 'topology-schema', line: 9, message: /unknown key "preferense" \(did you mean "preference"\?\)/ }],
    ],
    [
      'a bad enum',
      MINIMAL.replace('ipv4: [192.0.2.10] }', 'ipv4: [192.0.2.10], role: backup }'),
      [{ rule: 'topology-schema', line: 6, message: /"backup" is not one of "store", "relay"/ }],
    ],
    [
      'a bad address',
      MINIMAL.replace('192.0.2.10', '192.0.2.300'),
      [{ rule: 'topology-schema', line: 6, message: /is not an IPv4 address/ }],
    ],
    [
      'a bad size',
      MINIMAL.replace('{ fqdn: mail1.infra.example,', '{ limits: { storage: lots }, fqdn: mail1.infra.example,'),
      [{ rule: 'topology-schema', line: 6, message: /is not a size/ }],
    ],
    [
      'a missing section',
      'version: 1\nhosts: {}\ndomains: {}\n',
      [{ rule: 'topology-schema', line: 1, message: /missing required key "dns"/ }],
    ],
    [
      'a wrong version',
      MINIMAL.replace('version: 1', 'version: 2'),
      [{ rule: 'topology-schema', line: 1, message: /must be 1/ }],
    ],
  ])('%s', async (_, text, expected) => {
    const { plan, findings } = await findingsOf(text);
    expect(plan).toBeUndefined();
    expect(findings).toMatchObject(
      expected.map((e) => ({
        ...e,
        message: 'message' in e ? expect.stringMatching(e.message) : expect.any(String),
      })),
    );
  });

  it('reports a CSV without the needed columns at its header line', async () => {
    const text = MINIMAL.replace('    users: { Alice: store1 }\n', '    usersFile: users.csv\n');
    const { findings } = await findingsOf(text, { 'users.csv': '\nname,server\nalice,store1\n' });
    expect(findings).toMatchObject([
      { rule: 'users-csv', line: 2, message: expect.stringMatching(/unknown column "name", "server"/) },
    ]);
  });

  it('reports an unreadable users file at the usersFile key', async () => {
    const text = MINIMAL.replace('    users: { Alice: store1 }\n', '    usersFile: nowhere.csv\n');
    const { findings } = await findingsOf(text);
    expect(findings).toMatchObject([
      { rule: 'users-csv', line: 10, message: expect.stringMatching(/cannot read users file nowhere\.csv \(ENOENT\)/) },
    ]);
  });

  it('throws a ResourceError only when the topology itself cannot be read', async () => {
    await expect(loadPlan('/nonexistent/topology.yaml')).rejects.toThrow(/cannot read topology .* ENOENT/);
  });

  it('reads JSON, which is YAML', async () => {
    const dir = await tempDir('load');
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(topology(), null, 2));
    const { plan, findings } = await loadPlan(file);
    expect(findings).toEqual([]);
    expect(plan!.domains.size).toBe(3);
  });
});
