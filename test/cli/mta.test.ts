import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenCopy, mxplan } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

const building = 'examples/building/topology.yaml';
/** A user homed on a host the plan does not have: an error-level finding (user-home-planned). */
const unplannedHome = (t: string) => t.replace('      carol: mail2\n', '      carol: mail9\n');

describe('mxplan mta', () => {
  it('writes one directory per host and a README, then keeps them on an unchanged re-run', async () => {
    const out = join(await tempDir('cli-mta'), 'mta');
    const first = await mxplan(['mta', building, '--out', out]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      `wrote Postfix and Dovecot configuration for 3 hosts in ${out}: backup (relay), mail1 (store, 6 mailboxes), mail2 (store, 6 mailboxes)\n` +
        '12 users have no password hash and cannot log in yet (--passwords FILE)\n',
    );
    expect(first.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['README.md', 'backup', 'mail1', 'mail2']);
    // backup signs tower.example's bounces (its selectors name it): OpenDKIM there too.
    expect((await readdir(join(out, 'backup'))).sort()).toEqual(['opendkim', 'postfix']);
    expect((await readdir(join(out, 'mail1'))).sort()).toEqual(['dovecot', 'opendkim', 'postfix']);
    // Password hashes may be in it: for the owner only.
    expect((await stat(join(out, 'mail1', 'dovecot'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(out, 'mail1', 'dovecot', 'passwd'))).mode & 0o777).toBe(0o600);

    const again = await mxplan(['mta', building, '--out', out]);
    expect(again.stdout).toMatch(/^kept \(nothing changed\) Postfix and Dovecot configuration for 3 hosts/);
    expect(again.code).toBe(0);
  });

  it('writes the hashes of --passwords into the stores where the users live', async () => {
    const dir = await tempDir('cli-mta');
    const passwords = join(dir, 'passwords');
    await writeFile(passwords, '# hashes\nbob@acme.example:{SHA512-CRYPT}$6$salt$hash\n');
    const result = await mxplan(['mta', building, '--out', join(dir, 'mta'), '--passwords', passwords]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('11 users have no password hash');
    expect(await readFile(join(dir, 'mta', 'mail2', 'dovecot', 'passwd'), 'utf8')).toContain(
      '\nbob@acme.example:{SHA512-CRYPT}$6$salt$hash\n',
    );
    expect(await readFile(join(dir, 'mta', 'mail1', 'dovecot', 'passwd'), 'utf8')).not.toContain('bob@');
  });

  it.each([
    ['a line without a hash', 'bob@acme.example\n', /passwords:1: expected address:\{SCHEME\}hash/],
    [
      'an address the plan does not have',
      'zed@acme.example:{SHA512-CRYPT}$6$x\n',
      /passwords:1: zed@acme.example is no user/,
    ],
    ['an alias', '\nsales@acme.example:{SHA512-CRYPT}$6$x\n', /passwords:2: sales@acme.example is an alias/],
    ['a cleartext password', 'bob@acme.example:{PLAIN}secret\n', /passwords:1: .*\{PLAIN\} password, not a hash/],
    [
      'a hash without its scheme',
      'bob@acme.example:$6$salt$hash\n',
      /passwords:1: the hash of bob@acme.example must read/,
    ],
    [
      'a user twice',
      'bob@acme.example:{SHA512-CRYPT}$6$x\nbob@acme.example:{SHA512-CRYPT}$6$y\n',
      /passwords:2: bob@acme.example already has a hash on line 1/,
    ],
  ])('exits 2, writing nothing, on --passwords with %s', async (_, text, message) => {
    const dir = await tempDir('cli-mta');
    await writeFile(join(dir, 'passwords'), text);
    const result = await mxplan(['mta', building, '--out', join(dir, 'mta'), '--passwords', join(dir, 'passwords')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'mta'))).toBe(false);
  });

  it('exits 2 when --passwords cannot be read', async () => {
    const dir = await tempDir('cli-mta');
    const result = await mxplan(['mta', building, '--out', join(dir, 'mta'), '--passwords', join(dir, 'none')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read the passwords file .*none: no such file or directory/);
  });

  it('prints the findings and writes nothing when the topology has errors (exit 1), unless --force', async () => {
    const { file, dir } = await brokenCopy('building', unplannedHome);
    const refused = await mxplan(['mta', file, '--out', join(dir, 'mta')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('user-home-planned');
    expect(refused.stderr).toContain(
      'the topology has errors, so no configuration was written (--force goes on anyway)',
    );
    expect(existsSync(join(dir, 'mta'))).toBe(false);

    const forced = await mxplan(['mta', file, '--out', join(dir, 'mta'), '--force']);
    expect(forced.code).toBe(0);
    // The relays' reply for a user homed nowhere, on the store that takes globex's mail.
    expect(await readFile(join(dir, 'mta', 'mail2', 'postfix', 'recipient_access'), 'utf8')).toContain(
      'carol@globex.example 451 4.3.5 Home host "mail9" is not planned\n',
    );
  });

  it('exits 2 and touches nothing when --out holds files it did not write', async () => {
    const out = join(await tempDir('cli-mta'), 'etc-postfix');
    await mkdir(out);
    await writeFile(join(out, 'main.cf'), '# mine\n');
    const result = await mxplan(['mta', building, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds files mxplan did not write \(main\.cf\)/);
    expect(await readdir(out)).toEqual(['main.cf']);
  });

  it('exits 2 without --out', async () => {
    const result = await mxplan(['mta', building]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '-o, --out <dir>' not specified");
  });
});
