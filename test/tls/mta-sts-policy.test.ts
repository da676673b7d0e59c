/**
 * The plan side of MTA-STS: the policy file (RFC 8461 §3.2), the id that tracks it (§3.1), the MX
 * matching rule (§4.1), and `mxplan mta-sts`, which writes the files a web server serves.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mxMatches, policyId, policyText } from '../../src/tls/mta-sts.js';
import { mxplan } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { withSts } from '../helpers/sts.js';
import { planOf, type TopologyDoc } from '../helpers/topology.js';

afterAll(removeTempDirs);

const withStsEdit = (edit: (t: TopologyDoc) => void = () => {}) => withSts('enforce', edit);
const stsOf = async (doc: TopologyDoc) => (await planOf(doc)).domains.get('acme.example')!.mtaSts!;

describe('the MTA-STS policy of a domain', () => {
  it('lists every MX by name, in preference order, with CRLF lines (RFC 8461 §3.2)', async () => {
    expect(policyText(await stsOf(withStsEdit()))).toBe(
      'version: STSv1\r\nmode: enforce\r\nmx: mail1.infra.example\r\nmx: mx-backup.infra.example\r\nmax_age: 604800\r\n',
    );
    const none = await stsOf(withStsEdit((t) => (t.domains['acme.example'].mtaSts.mode = 'none')));
    expect(policyText(none)).toBe('version: STSv1\r\nmode: none\r\nmax_age: 604800\r\n');
  });

  it('derives an id that changes whenever the policy does, and keeps one written in the topology', async () => {
    const base = policyId(await stsOf(withStsEdit()));
    expect(base).toMatch(/^[0-9a-f]{20}$/);
    expect(policyId(await stsOf(withStsEdit()))).toBe(base);
    const changes: ((t: TopologyDoc) => void)[] = [
      (t) => t.domains['acme.example'].mx.push({ host: 'store2', preference: 60 }),
      (t) => (t.domains['acme.example'].mtaSts.mode = 'testing'),
      (t) => (t.domains['acme.example'].mtaSts.maxAge = '2w'),
      (t) => (t.domains['acme.example'].mtaSts.mx = ['*.infra.example']),
    ];
    const ids = await Promise.all(changes.map(async (change) => policyId(await stsOf(withStsEdit(change)))));
    expect(new Set([base, ...ids]).size).toBe(changes.length + 1);
    // The TXT record publishes it (RFC 8461 §3.1).
    const records = await mxplan(['records', '-', '--format', 'json'], { input: JSON.stringify(withStsEdit()) });
    expect(records.stdout).toContain(`v=STSv1; id=${base}`);
    const written = await stsOf(withStsEdit((t) => (t.domains['acme.example'].mtaSts.id = '2026110101')));
    expect(policyId(written)).toBe('2026110101');
  });

  it.each([
    ['mx.example.com', 'mx.example.com', true],
    ['*.example.com', 'mx.example.com', true],
    ['*.example.com', 'a.mx.example.com', false],
    ['*.example.com', 'example.com', false],
    ['mail.example.com', 'notmail.example.com', false],
    ['mx.example.com', 'mx.example.com.evil.example', false],
  ])('pattern %s matches %s: %s (RFC 8461 §4.1)', (pattern, exchange, matches) => {
    expect(mxMatches(pattern, exchange)).toBe(matches);
  });
});

describe('mxplan mta-sts', () => {
  it('writes one policy file per domain, keeps them on an unchanged re-run, and refuses a directory with other files', async () => {
    const dir = await tempDir('mta-sts-cli');
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(withStsEdit()));
    const out = join(dir, 'policies');
    const first = await mxplan(['mta-sts', file, '-o', out]);
    expect(first.stdout).toBe(`wrote 1 MTA-STS policy in ${out}: 1 new, 0 changed, 0 unchanged\n`);
    expect(first.code).toBe(0);
    expect(await readdir(out)).toEqual(['mta-sts.acme.example.txt']);
    expect(await readFile(join(out, 'mta-sts.acme.example.txt'), 'utf8')).toBe(policyText(await stsOf(withStsEdit())));
    const again = await mxplan(['mta-sts', file, '-o', out]);
    expect(again.stdout).toMatch(/^kept \(nothing changed\) 1 MTA-STS policy/);

    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'index.html'), '<html></html>');
    const refused = await mxplan(['mta-sts', file, '-o', foreign]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds files mxplan did not write \(index\.html\)/);
  });

  it('writes nothing for a plan with errors (no policy host), unless --force', async () => {
    const dir = await tempDir('mta-sts-cli');
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(withStsEdit((t) => delete t.domains['acme.example'].mtaSts.host)));
    const refused = await mxplan(['mta-sts', file, '-o', join(dir, 'out')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/mta-sts-policy-host/);
    expect((await mxplan(['mta-sts', file, '-o', join(dir, 'out'), '--force'])).code).toBe(0);
  });
});
