/**
 * `mxplan drift` against real authoritative servers on loopback: BIND (which allows the
 * transfer, so drift reads the whole zone by AXFR) and NSD (which refuses it, so drift asks for
 * each planned RRset), both serving the building example's zones from `mxplan zones` with
 * deliberate changes: a missing MX, a wrong preference, a stale SPF and extra records.
 * Every server address in these tests is loopback, given with --server.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServer, plannedServers } from '../../src/cli/commands/drift.js';
import { loadPlan } from '../../src/topology/load.js';
import { lineOf, mxplan, ROOT } from '../helpers/cli.js';
import { startNamed, startNsd, type RunningServer } from '../helpers/authoritative.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

const ready = requireTool('named') && requireTool('nsd');
const building = 'examples/building/topology.yaml';

interface JsonFinding {
  rule: string;
  messageId: string;
  severity: string;
  message: string;
  location: { file: string; line: number };
}

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await removeTempDirs();
});

let text: string;
let zones: string;
let work: string;
let named: RunningServer;
let nsd: RunningServer;

/** Edits one zone file in place; the edit must change it. */
async function edit(file: string, change: (text: string) => string): Promise<void> {
  const path = join(zones, file);
  const before = await readFile(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the edit changed nothing in ${file}`);
  await writeFile(path, after);
}

beforeAll(async () => {
  if (!ready) return;
  text = await readFile(join(ROOT, building), 'utf8');
  work = await tempDir('drift');
  zones = join(work, 'zones');
  const written = await mxplan(['zones', building, '--out', zones, '--server', 'bind,nsd', '--serial', '2026010100']);
  if (written.code !== 0) throw new Error(written.stderr);
  await edit('acme.example.zone', (t) => t.replace('           IN MX    50 mx-backup.tower.example.\n', '')); // missing MX
  await edit(
    'globex.example.zone',
    (t) =>
      t
        .replace('IN MX    10 mail2.tower.example.', 'IN MX    20 mail2.tower.example.') // wrong preference
        .replace('"v=spf1 ip4:192.0.2.11 ip6:2001:db8:10::11 -all"', '"v=spf1 ip4:192.0.2.11 ip4:192.0.2.99 -all"'), // stale SPF
  );
  await edit('initech.example.zone', (t) => `${t}@ IN TXT "site-verification=4711"\nwww IN A 192.0.2.80\n`); // extras
  named = await startNamed(work, zones, 'acme.example');
  servers.push(named);
  nsd = await startNsd(await mkdirIn(work, 'nsd'), zones, 'acme.example');
  servers.push(nsd);
}, 60_000);

/** The findings every server shows, whether it is read by transfer or by queries. */
function expectedFindings(server: string): [string, string, number][] {
  const acme = lineOf(text, 'acme.example:');
  const globex = lineOf(text, 'globex.example:');
  const initech = lineOf(text, 'initech.example:');
  return [
    [
      'missing',
      `${server} does not serve acme.example. 3600 IN MX 50 mx-backup.tower.example.`,
      lineOf(text, '- { host: backup, preference: 50 }', acme),
    ],
    [
      'different',
      `${server} serves globex.example. 3600 IN MX 20 mail2.tower.example. where the plan has globex.example. 3600 IN MX 10 mail2.tower.example.`,
      lineOf(text, '- { host: mail2, preference: 10 }', globex),
    ],
    [
      'different',
      `${server} serves globex.example. 3600 IN TXT "v=spf1 ip4:192.0.2.11 ip4:192.0.2.99 -all" where the plan has globex.example. 3600 IN TXT "v=spf1 ip4:192.0.2.11 ip6:2001:db8:10::11 -all"`,
      globex,
    ],
    [
      'extra',
      `${server} serves initech.example. 3600 IN TXT "site-verification=4711", which the plan does not have`,
      initech,
    ],
  ];
}

async function drift(
  port: number,
  ...flags: string[]
): Promise<{ code: number | null; findings: [string, string, number][]; stderr: string }> {
  const { code, stdout, stderr } = await mxplan([
    'drift',
    building,
    '--server',
    `127.0.0.1:${port}`,
    '--format',
    'json',
    ...flags,
  ]);
  const { findings } = JSON.parse(stdout) as { findings: JsonFinding[] };
  for (const f of findings) expect(f.location.file).toBe(building);
  return {
    code,
    stderr,
    findings: findings.map((f) => [f.messageId, f.message, f.location.line]),
  };
}

describe.runIf(ready)('mxplan drift', () => {
  it('reads BIND by AXFR and finds every change, an extra name too', async () => {
    const { code, findings, stderr } = await drift(named.port);
    expect(stderr).toBe(`127.0.0.1:${named.port}: 8 zones by AXFR, 0 by query, 0 not served\n`);
    const label = `127.0.0.1:${named.port}`;
    const extraName: [string, string, number] = [
      'extra',
      `${label} serves www.initech.example. 3600 IN A 192.0.2.80, which the plan does not have`,
      lineOf(text, 'initech.example:'),
    ];
    expect(sortByLine(findings)).toEqual(sortByLine([...expectedFindings(label), extraName]));
    expect(code).toBe(1);
  });

  it('reads NSD, which refuses transfers, by one query per planned RRset', async () => {
    const { code, findings, stderr } = await drift(nsd.port);
    expect(stderr).toBe(`127.0.0.1:${nsd.port}: 0 zones by AXFR, 8 by query, 0 not served\n`);
    expect(sortByLine(findings)).toEqual(sortByLine(expectedFindings(`127.0.0.1:${nsd.port}`)));
    expect(code).toBe(1);
  });

  it('reports GitHub annotations at the plan line, and a server that does not answer', async () => {
    const github = await mxplan(['drift', building, '--server', `127.0.0.1:${named.port}`, '--format', 'github']);
    expect(github.stdout).toContain(
      `::error file=${building},line=${lineOf(text, '- { host: mail2, preference: 10 }', lineOf(text, 'globex.example:'))},col=9,title=mxplan dns-drift::`,
    );
    const nobody = await drift(1, '--timeout', '500');
    expect(nobody.code).toBe(1);
    expect(nobody.findings[0]).toEqual([
      'zone-not-served',
      expect.stringMatching(/^127\.0\.0\.1:1 does not serve zone /),
      expect.any(Number),
    ]);
  });

  it('finds no drift where a server serves the plan as it is', async () => {
    const clean = await tempDir('drift-clean');
    const out = join(clean, 'zones');
    await mxplan(['zones', building, '--out', out, '--server', 'bind', '--serial', '7']);
    const faithful = await startNamed(clean, out, 'acme.example');
    servers.push(faithful);
    const result = await mxplan(['drift', building, '--server', `127.0.0.1:${faithful.port}`]);
    expect(result.stdout).toBe('✔ no problems\n');
    expect(result.code).toBe(0);
  });
});

describe('drift --server', () => {
  it('defaults to every planned name server at each planned address, port 53 (never dialled here)', async () => {
    const { plan } = await loadPlan(join(ROOT, building));
    expect(plannedServers(plan!)).toEqual([
      { label: 'ns1.tower.example (192.0.2.53)', endpoint: { address: '192.0.2.53', port: 53 } },
      { label: 'ns1.tower.example (2001:db8:10::53)', endpoint: { address: '2001:db8:10::53', port: 53 } },
      { label: 'ns2.tower.example (198.51.100.53)', endpoint: { address: '198.51.100.53', port: 53 } },
    ]);
  });

  it.each([
    ['127.0.0.1', { address: '127.0.0.1', port: 53 }],
    ['127.0.0.1:5300', { address: '127.0.0.1', port: 5300 }],
    ['::1', { address: '::1', port: 53 }],
    ['[::1]:5300', { address: '::1', port: 5300 }],
  ])('%s', (text, endpoint) => expect(parseServer(text)).toEqual(endpoint));

  it.each(['ns1.tower.example', '127.0.0.1:0', '127.0.0.1:99999', '[::1'])('refuses %s', (text) =>
    expect(() => parseServer(text)).toThrow(/--server takes an IP address/),
  );
});

function sortByLine<T extends [string, string, number]>(findings: T[]): T[] {
  return [...findings].sort((a, b) => a[2] - b[2] || a[1].localeCompare(b[1]));
}

async function mkdirIn(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
