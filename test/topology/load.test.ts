import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan, parsePlan } from '../../src/topology/load.js';
import { seededRandom } from '../helpers/seeded-random.mjs';
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
      [
        {
          rule: 'topology-schema',
          line: 6,
          message: /^host store1: role "backup" is not one of store, relay \(did you mean "relay"\?\)$/,
        },
      ],
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
      'a bad host id, once',
      MINIMAL.replace('  store1: {', '  -x: { fqdn: mail9.infra.example }\n  store1: {'),
      [{ rule: 'topology-schema', line: 6, message: /^hosts: "-x" is not a valid key here \(a host id: / }],
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

describe('input is never silently changed', () => {
  it('keeps every mapping key as written: 007, 0x1F and 1e3 are names, not numbers', async () => {
    const text = MINIMAL.replace(
      '    users: { Alice: store1 }\n',
      '    users: { 007: store1, 0x1F: store1, 1e3: store1, true: store1, ~: store1 }\n',
    )
      .replace('  store1: {', '  store1: {')
      .replace('aliases: { postmaster: [alice],', 'aliases: { 010: ["007"], postmaster: ["007"],')
      .replace(', sales: [Alice, carol@Globex.Example]', '');
    const { plan, findings } = await findingsOf(text);
    expect(findings).toEqual([]);
    const acme = plan!.domains.get('acme.example')!;
    expect([...acme.users.keys()]).toEqual(['007', '0x1f', '1e3', 'true', '~']);
    expect([...acme.aliases.keys()]).toEqual(['010', 'postmaster']);
  });

  it('keeps host ids as written', async () => {
    const text = MINIMAL.replace('  store1: {', '  0x10: {').replace(/host: store1|Alice: store1/g, (m) =>
      m.replace('store1', '"0x10"'),
    );
    const { plan, findings } = await findingsOf(text);
    expect(findings).toEqual([]);
    expect([...plan!.hosts.keys()]).toEqual(['0x10']);
    expect(plan!.domains.get('acme.example')!.users.get('alice')!.home?.id).toBe('0x10');
  });

  it.each([
    [
      'a number',
      'mtaSts: { mode: testing, id: 20261101 }',
      /^domain Acme\.Example\.: mtaSts\.id must be text, not an integer: YAML reads 20261101 as a number; write "20261101" in quotes to keep it as text$/,
    ],
    [
      'a hex number',
      'senders: [0x1F]',
      /^domain Acme\.Example\.: senders\[0\] must be text, not an integer: YAML reads 0x1F as a number; write "0x1F" in quotes/,
    ],
    [
      'a boolean',
      'senders: [true]',
      /^domain Acme\.Example\.: senders\[0\] must be text, not true: YAML reads true as a boolean/,
    ],
    ['an empty value', 'usersFile:', /^domain Acme\.Example\.: usersFile must be text, not empty$/],
    [
      'a YAML 1.1 date',
      'mtaSts: { mode: testing, id: 2026-11-01 }',
      /^domain Acme\.Example\.: mtaSts\.id must be text, not a date: YAML reads 2026-11-01 as a date; write "2026-11-01" in quotes/,
    ],
  ])('reports %s that YAML read where text is wanted, with its position', async (what, line, message) => {
    const directive = what.includes('1.1') ? '%YAML 1.1\n---\n' : '';
    const { plan, findings } = await findingsOf(`${directive}${MINIMAL}    ${line}\n`);
    expect(plan).toBeUndefined();
    expect(findings).toMatchObject([
      {
        rule: 'topology-schema',
        line: directive ? 14 : 12,
        column: expect.any(Number),
        message: expect.stringMatching(message),
      },
    ]);
  });
});

describe('a file that is not a topology gets one finding with a real position', () => {
  it.each([
    ['an empty file', ''],
    ['a file of comments', '# nothing here yet\n\n'],
    ['a lone document marker', '---\n'],
  ])('%s: "the file is empty" at 1:1', async (_, text) => {
    const { findings } = await findingsOf(text);
    expect(findings).toEqual([
      { rule: 'topology-syntax', line: 1, column: 1, message: expect.stringMatching(/^the file is empty/) },
    ]);
  });

  it('4 KB of binary: "not UTF-8 text at byte N", without echoing the bytes', async () => {
    const random = seededRandom(10);
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) =>
      i < 9 ? 'version: '.charCodeAt(i) : Math.floor(random() * 256),
    );
    const dir = await tempDir('binary');
    const file = join(dir, 'topology.yaml');
    await writeFile(file, bytes);
    const { plan, findings } = await loadPlan(file);
    expect(plan).toBeUndefined();
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding!.message).toMatch(/^not UTF-8 text at byte \d+ \(0x[0-9a-f]{2}\)/);
    const offset = Number(/byte (\d+)/.exec(finding!.message)![1]);
    expect(new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, offset))).not.toContain('\ufffd');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, offset + 4))).toThrow();
    expect(finding!.location.line).toBeGreaterThan(0);
    expect(finding!.message.length).toBeLessThan(100);
  });

  it('a control character: its position, not its text', async () => {
    const { findings } = await findingsOf('version: 1\nhosts: {}\ndomains: { a\u0000b: {} }\n');
    expect(findings).toEqual([
      {
        rule: 'topology-syntax',
        line: 3,
        column: 13,
        message: expect.stringMatching(/^control character U\+0000 at byte 33/),
      },
    ]);
  });

  it('an alias bomb: "too many alias expansions" at the alias, not a stack trace', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(', ')}]`,
      );
    }
    const { plan, findings } = await findingsOf(`${levels.join('\n')}\n`);
    expect(plan).toBeUndefined();
    expect(findings).toEqual([
      {
        rule: 'topology-syntax',
        line: expect.any(Number),
        column: expect.any(Number),
        message: expect.stringMatching(/^too many alias expansions/),
      },
    ]);
    expect(findings[0]!.line).toBeGreaterThan(1);
  });

  it('an alias without its anchor, and one inside its own anchor', async () => {
    expect((await findingsOf('version: *v\n')).findings).toEqual([
      { rule: 'topology-syntax', line: 1, column: 10, message: 'alias *v has no anchor &v before it' },
    ]);
    expect((await findingsOf('a: &x [1, *x]\n')).findings).toMatchObject([
      { line: 1, column: 11, message: 'alias *x refers to the value that contains it' },
    ]);
  });

  it('aliases used as YAML intends still load', async () => {
    const text =
      MINIMAL.replace('    mx: [{ host: store1, preference: 10 }]', '    mx: &mx [{ host: store1, preference: 10 }]') +
      '  globex.example:\n    mx: *mx\n';
    const { plan, findings } = await findingsOf(text);
    expect(findings).toEqual([]);
    expect(plan!.domains.get('globex.example')!.mx.map((m) => m.host?.id)).toEqual(['store1']);
  });

  it('a tab in the indentation: one finding, the ones it causes listed under it', async () => {
    const text = MINIMAL.replace('    mx: [', '\tmx: [');
    const { findings } = await parsePlan(text, 'topo.yaml', () => Promise.reject(new Error('no')));
    expect(findings.map((f) => [f.location.line, f.message])).toEqual([[9, 'Tabs are not allowed as indentation']]);
    expect(findings[0]!.related?.length).toBeGreaterThan(0);
  });
});

describe('schema findings name the innermost field and what it must be', () => {
  it.each([
    [
      'a word for a number',
      'mx: [{ host: store1, preference: 10 }, { host: store1, preference: "ten" }]',
      /^domain Acme\.Example\.: mx\[1\]\.preference must be an integer, not text$/,
    ],
    [
      'a list for a mapping',
      'users: { Alice: [store1, store2] }',
      /^domain Acme\.Example\.: users\.Alice must be text or a mapping, not a list$/,
    ],
    [
      'a dotted user',
      'users: { john.doe: { host: store1, quota: lots } }',
      /^domain Acme\.Example\.: users\["john\.doe"\]\.quota "lots" is not a size/,
    ],
  ])('%s', async (_, line, message) => {
    const text = MINIMAL.replace(line.startsWith('mx') ? / {4}mx: .*\n/ : / {4}users: .*\n/, `    ${line}\n`);
    const { findings } = await findingsOf(text);
    expect(findings).toEqual([
      {
        rule: 'topology-schema',
        line: expect.any(Number),
        column: expect.any(Number),
        message: expect.stringMatching(message),
      },
    ]);
    expect(findings[0]!.message).not.toMatch(/\[\{|\{"|\["[^\]]*",/); // no value dumped as JSON
  });
});

describe('a users CSV goes through the same checks as YAML', () => {
  it.each([['huge'], ['-5GB'], ['5 parsecs']])(
    'quota %s is an error at its cell, and the user keeps the default quota',
    async (quota) => {
      const text = MINIMAL.replace('version: 1\n', 'version: 1\ndefaults: { quota: 2GiB }\n').replace(
        '    users: { Alice: store1 }\n',
        '    usersFile: users.csv\n',
      );
      const { plan, findings } = await parsePlan(
        text,
        'topo.yaml',
        async () => `local,host,quota\nalice,store1,1GiB\nbob,store1,${quota}\n`,
      );
      expect(findings.map((f) => [f.rule, f.location.line, f.location.column, f.message])).toEqual([
        [
          'users-csv',
          3,
          12,
          `user bob: quota "${quota}" is not a size (bytes, or a number with KB, MB, GB, KiB, MiB, GiB...)`,
        ],
      ]);
      expect(findings[0]!.location.file).toMatch(/users\.csv$/);
      const bob = plan!.domains.get('acme.example')!.users.get('bob')!;
      expect(bob).toMatchObject({ quota: 2 * 2 ** 30, home: { id: 'store1' } });
    },
  );

  it('a CSV of binary bytes is reported once', async () => {
    const text = MINIMAL.replace('    users: { Alice: store1 }\n', '    usersFile: users.csv\n');
    const { findings } = await parsePlan(text, 'topo.yaml', async () =>
      Uint8Array.from([0x6c, 0x6f, 0xff, 0xfe, 0x00]),
    );
    expect(findings.map((f) => [f.rule, f.location.line, f.location.column, f.message])).toEqual([
      ['users-csv', 1, 3, expect.stringMatching(/^not UTF-8 text at byte 2 \(0xff\)/)],
    ]);
  });
});
