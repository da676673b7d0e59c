/**
 * `mxplan keys`: makes each missing DKIM key where the topology says (mode 0600, the algorithm and
 * size it names), never touches a file that exists, prints every DKIM record as a zone file
 * line, and refuses what it must not make, saying why.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenCopy, mxplan } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

/** The building example without its key files, with an RSA 3072 selector for acme.example. */
async function withoutKeys(edit: (t: string) => string = (t) => t) {
  const copy = await brokenCopy('building', (t) =>
    edit(
      t.replace(
        '    spf: { policy: "-all" }\n',
        '    spf: { policy: "-all" }\n    dkim: [{ selector: big, algorithm: rsa-3072, key: secrets/acme-big.pem }]\n',
      ),
    ),
  );
  await rm(join(copy.dir, 'keys'), { recursive: true });
  return copy;
}

describe('mxplan keys', () => {
  it('makes every missing key, 0600, of the planned algorithm and size, and prints the records', async () => {
    const { file, dir } = await withoutKeys();
    expect((await mxplan(['lint', file])).code).toBe(1); // dkim-key-valid: missing
    const result = await mxplan(['keys', file], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^created secrets\/acme-big\.pem \(rsa-3072\) for big\._domainkey\.acme\.example$/m);
    expect(result.stderr).toMatch(/^7 key\(s\) made, 0 already there$/m);

    const big = join(dir, 'secrets', 'acme-big.pem');
    expect((await stat(big)).mode & 0o777).toBe(0o600);
    const key = createPrivateKey(await readFile(big));
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const ed = createPrivateKey(await readFile(join(dir, 'keys', 'tower.example.e2026.pem')));
    expect(ed.asymmetricKeyType).toBe('ed25519');

    // One TXT record per selector, as a zone file has it; the lint is clean now.
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([
      'big._domainkey.acme.example.',
      'e2026._domainkey.globex.example.',
      's2026._domainkey.globex.example.',
      'e2026._domainkey.initech.example.',
      's2026._domainkey.initech.example.',
      'e2026._domainkey.tower.example.',
      's2026._domainkey.tower.example.',
    ]);
    expect(lines[0]).toMatch(/^big\._domainkey\.acme\.example\. 3600 IN TXT "v=DKIM1; k=rsa; p=MII[^"]+" "[^"]+"/);
    expect((await mxplan(['lint', file, '--rule', 'dkim-key-private=error'])).code).toBe(0);
  });

  it('never touches a key file that exists, whatever it holds', async () => {
    const { file, dir } = await withoutKeys();
    await mxplan(['keys', file], { cwd: dir });
    const big = join(dir, 'secrets', 'acme-big.pem');
    const before = await readFile(big);
    const again = await mxplan(['keys', file], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^0 key\(s\) made, 7 already there$/m);
    expect(await readFile(big)).toEqual(before);
    await writeFile(big, 'not a key\n');
    expect((await mxplan(['keys', file], { cwd: dir })).code).toBe(0);
    expect(await readFile(big, 'utf8')).toBe('not a key\n');
  });

  it('will not make a key for a pinned public key, nor an RSA key outside 1024 to 4096 bits', async () => {
    const { file, dir } = await withoutKeys((t) =>
      t
        .replace('algorithm: rsa-3072, key: secrets/acme-big.pem', 'algorithm: rsa-8192, key: secrets/acme-big.pem')
        .replace(
          '      info: [carol, frank]\n',
          '      info: [carol, frank]\n    dkim: [{ selector: s1, algorithm: ed25519, key: keys/globex.pem, publicKey: "QZa0a5pTaQMSaVluZU7HHxHFCOGzkg7jqaF1LGoTCgY=" }]\n',
        ),
    );
    const result = await mxplan(['keys', file], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^not made: secrets\/acme-big\.pem for big\._domainkey\.acme\.example: mxplan makes RSA keys of 1024 to 4096 bits \(RFC 8301 §3\.2\), not 8192$/m,
    );
    expect(result.stderr).toMatch(
      /^not made: keys\/globex\.pem for s1\._domainkey\.globex\.example: selector s1 of globex\.example pins its public key/m,
    );
    expect(result.stderr).toMatch(/^mxplan: some keys were not made$/m);
    // The others were made all the same.
    expect((await stat(join(dir, 'keys', 'tower.example.s2026.pem'))).isFile()).toBe(true);
  });

  it('says why a topology that does not load gets no keys', async () => {
    const { file, dir } = await withoutKeys((t) => t.replace('algorithm: rsa-3072', 'algorithm: rsa'));
    const result = await mxplan(['keys', file], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dkim\[0\]\.algorithm "rsa" is not rsa-<bits>/);
    expect(result.stderr).toMatch(/no keys were made/);
  });
});
