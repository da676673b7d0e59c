/**
 * DKIM selectors as the loader and normalize settle them: defaults with placeholders, the
 * domain's own list, null-MX domains, signers and the lifecycle, each key file read once with its
 * mode, and the public key as the record publishes it, which OpenSSL (nobody here wrote it)
 * derives the same from the key file.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan, parsePlan } from '../../src/topology/load.js';
import type { DkimSelector, Plan } from '../../src/topology/types.js';
import { dkimFiles, dkimTopology, KEY_FIXTURES, keyFile, keyPem, publicKeyOf } from '../helpers/dkim.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, type TopologyDoc } from '../helpers/topology.js';
import { requireTool } from '../helpers/tools.js';

afterAll(removeTempDirs);

const hasOpenssl = requireTool('openssl');

const selectors = (plan: Plan, domain: string): DkimSelector[] => [...plan.domains.get(domain)!.dkim];

describe('DKIM selectors', () => {
  it('take defaults.dkim with {domain} and {selector} filled, except a null-MX domain', async () => {
    const plan = await planOf(
      dkimTopology((t) => (t.defaults.dkim[0].key = 'keys/{domain}/{selector}.pem')),
      { 'keys/acme.example/s2026.pem': keyFile('rsa-2048'), 'keys/globex.example/s2026.pem': keyFile('rsa-2048') },
    );
    expect(selectors(plan, 'acme.example').map((s) => [s.selector, s.keyPath, s.fromDefaults, s.key.status])).toEqual([
      ['s2026', 'keys/acme.example/s2026.pem', true, 'ok'],
    ]);
    expect(selectors(plan, 'globex.example')[0]!.keyPath).toBe('keys/globex.example/s2026.pem');
    expect(selectors(plan, 'parked.example')).toEqual([]);
  });

  it("a domain's own list replaces the defaults, and [] means none", async () => {
    const plan = await planOf(
      dkimTopology((t) => {
        t.domains['acme.example'].dkim = [{ selector: 'E1', algorithm: 'ed25519', key: 'keys/e.pem' }];
        t.domains['globex.example'].dkim = [];
      }),
      { 'keys/e.pem': keyFile('ed25519') },
    );
    expect(selectors(plan, 'acme.example').map((s) => [s.selector, s.type, s.bits, s.fromDefaults])).toEqual([
      ['e1', 'ed25519', 256, false],
    ]);
    expect(selectors(plan, 'globex.example')).toEqual([]);
  });

  it('reads each key file once, however many selectors name it, and keeps its mode', async () => {
    const read: string[] = [];
    const doc = dkimTopology((t) => (t.defaults.dkim[0].key = 'keys/shared.pem'));
    const { plan } = await parsePlan(JSON.stringify(doc), 'topology.yaml', async (name) => {
      read.push(name);
      return { bytes: keyPem('rsa-2048'), mode: 0o640 };
    });
    expect(read).toEqual(['keys/shared.pem']);
    const [acme] = selectors(plan!, 'acme.example');
    const [globex] = selectors(plan!, 'globex.example');
    expect(acme!.key).toBe(globex!.key);
    expect(acme!.key).toMatchObject({ status: 'ok', mode: 0o640 });
  });

  it('are signed with by every host the domain sends from, unless `hosts` says which', async () => {
    const plan = await planOf(
      dkimTopology((t) => {
        t.domains['acme.example'].senders = ['store1']; // bob still submits at store2
        t.domains['globex.example'].dkim = [
          {
            selector: 's1',
            algorithm: 'rsa-2048',
            key: 'keys/globex.example.pem',
            hosts: ['mail1.infra.example', 'nope'],
          },
        ];
      }),
      dkimFiles(),
    );
    const acme = plan.domains.get('acme.example')!;
    expect(acme.senders.map((h) => h.id)).toEqual(['store1']);
    expect(acme.outbound.map((h) => h.id)).toEqual(['store1', 'store2']);
    expect(selectors(plan, 'acme.example')[0]!.signers.map((h) => h.id)).toEqual(['store1', 'store2']);
    const [globex] = selectors(plan, 'globex.example');
    expect(globex!.signers.map((h) => h.id)).toEqual(['store1']);
    expect(globex!.unknownSigners.map((u) => u.raw)).toEqual(['nope']);
  });

  it('settle their lifecycle: active until retired or removed, or unless active: false', async () => {
    const plan = await planOf(
      dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 'now', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
          { selector: 'next', algorithm: 'rsa-2048', key: 'keys/acme.example.pem', active: false },
          {
            selector: 'old',
            algorithm: 'rsa-2048',
            key: 'keys/x.pem',
            publicKey: publicKeyOf('rsa-4096'),
            retired: '2026-01-10',
          },
          { selector: 'gone', algorithm: 'rsa-2048', key: 'keys/x.pem', retired: '2025-01-10', removed: '2025-02-10' },
        ];
      }),
      dkimFiles(),
    );
    const byName = new Map(selectors(plan, 'acme.example').map((s) => [s.selector, s]));
    expect([...byName.values()].map((s) => [s.selector, s.active])).toEqual([
      ['now', true],
      ['next', false],
      ['old', false],
      ['gone', false],
    ]);
    expect(byName.get('now')!.published).toBe(publicKeyOf('rsa-2048'));
    expect(byName.get('old')!.published).toBe(publicKeyOf('rsa-4096')); // the pin, without a key file
    expect(byName.get('gone')!.published).toBe(''); // revoked
    expect(byName.get('old')!.retired).toEqual({ text: '2026-01-10', time: Date.UTC(2026, 0, 10) });
  });

  it('refuse a malformed selector, algorithm or day in the shape check, at its line', async () => {
    const doc: TopologyDoc = dkimTopology((t) => {
      t.domains['acme.example'].dkim = [
        { selector: 'bad_name', algorithm: 'dsa-1024', key: 'k.pem', retired: '2026-13-01' },
      ];
    });
    const { plan, findings } = await parsePlan(JSON.stringify(doc, null, 2), 'topology.yaml', async () => '');
    expect(plan).toBeUndefined();
    expect(findings.map((f) => f.message)).toEqual([
      'domain acme.example: dkim[0].selector "bad_name" is not a selector (DNS labels of letters, digits and inner hyphens)',
      'domain acme.example: dkim[0].algorithm "dsa-1024" is not rsa-<bits> (rsa-2048, rsa-3072, rsa-4096) or ed25519',
      'domain acme.example: dkim[0].retired "2026-13-01" is not a day (YYYY-MM-DD)',
    ]);
    for (const f of findings) expect(f.location.line).toBeGreaterThan(1);
  });
});

describe('key files on disk', () => {
  it('are read beside the topology with their mode; a missing one is reported missing', async () => {
    const dir = await tempDir('dkim-load');
    await mkdir(join(dir, 'keys'));
    await copyFile(join(KEY_FIXTURES, 'rsa-2048.pem'), join(dir, 'keys', 'acme.example.pem'));
    await chmod(join(dir, 'keys', 'acme.example.pem'), 0o644);
    await writeFile(join(dir, 'topology.yaml'), JSON.stringify(dkimTopology()));
    const { plan } = await loadPlan(join(dir, 'topology.yaml'));
    const [acme] = selectors(plan!, 'acme.example');
    const [globex] = selectors(plan!, 'globex.example');
    expect(acme!.keyFile).toBe(join(dir, 'keys', 'acme.example.pem'));
    expect(acme!.key).toMatchObject({ status: 'ok', type: 'rsa', bits: 2048, mode: 0o644 });
    expect(globex!.key).toMatchObject({ status: 'missing' });
  });

  it.runIf(hasOpenssl)('publish the public key OpenSSL derives from them (RSA SPKI; Ed25519 raw, RFC 8463)', () => {
    for (const name of ['rsa-2048', 'rsa-4096', 'ed25519'] as const) {
      const der = execFileSync('openssl', [
        'pkey',
        '-in',
        join(KEY_FIXTURES, `${name}.pem`),
        '-pubout',
        '-outform',
        'DER',
      ]);
      const expected = name === 'ed25519' ? der.subarray(der.length - 32) : der;
      expect(publicKeyOf(name), name).toBe(expected.toString('base64'));
    }
  });
});
