/** What `mxplan mta` writes, beyond what Postfix and Dovecot check (real-tools.test.ts, table.test.ts). */
import { describe, expect, it } from 'vitest';
import { GENERATED_MARK } from '../../src/dns/zone-file.js';
import { size } from '../../src/mta/dovecot.js';
import { MtaError } from '../../src/mta/errors.js';
import { mtaFiles } from '../../src/mta/mta-dir.js';
import { PRODUCTION_PATHS } from '../../src/mta/paths.js';
import { duration } from '../../src/mta/postfix.js';
import { planOf, topology } from '../helpers/topology.js';
import { mixedPlan } from '../routing/support/mixed-plan.js';
import { testPaths } from './support/postfix-tools.js';

describe('the generated tree', () => {
  it('is the same bytes for the same plan, marks every file, and names no topology file and no date', async () => {
    const plan = await mixedPlan();
    const first = mtaFiles(plan).files;
    expect(mtaFiles(await mixedPlan()).files).toEqual(first);
    for (const [name, text] of first) {
      expect(text.slice(0, 512), name).toContain(GENERATED_MARK);
      expect(text, name).not.toContain('topology.yaml');
      expect(text, name).not.toMatch(/\b20\d\d-\d\d-\d\d\b|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), /);
    }
  });

  it('differs between deployments in the path settings only, line for line', async () => {
    const plan = await mixedPlan();
    const production = mtaFiles(plan).files;
    const lab = mtaFiles(plan, { paths: testPaths('/srv/lab') }).files;
    expect([...lab.keys()]).toEqual([...production.keys()]);
    // A path, or the directory of one (maillog_file_prefixes is the log's).
    const productionPaths = Object.values(PRODUCTION_PATHS).flatMap((p) => [p, p.slice(0, p.lastIndexOf('/'))]);
    for (const [name, text] of production) {
      const ours = text.split('\n');
      const theirs = lab.get(name)!.split('\n');
      expect(theirs.length, name).toBe(ours.length);
      const changed = ours.flatMap((line, i) => (line === theirs[i] ? [] : [[line, theirs[i]!] as const]));
      for (const [before, after] of changed) {
        expect(
          productionPaths.some((p) => before.includes(p)),
          `${name}: ${before}`,
        ).toBe(true);
        expect(after, name).toContain('/srv/lab/');
      }
      // Only main.cf and dovecot.conf hold paths.
      if (changed.length > 0) expect(name).toMatch(/\/(postfix\/main\.cf|dovecot\/dovecot\.conf)$/);
    }
  });

  it('proxies the logins of the other stores’ users to their home, with logins.proxy', async () => {
    const plan = await planOf(
      topology((t) => {
        t.logins = { proxy: true };
        t.domains['acme.example'].users.dan = 'backup'; // homed on a relay: no mailbox to log in to
      }),
    );
    const files = mtaFiles(plan, { passwords: new Map([['alice@acme.example', '{SHA512-CRYPT}$6$a$b']]) }).files;
    const store1 = files.get('store1/dovecot/passwd')!;
    expect(store1).toContain('\nalice@acme.example:{SHA512-CRYPT}$6$a$b\n');
    // store2 has only IPv4: store1 reaches it there.
    expect(store1).toContain('\nbob@acme.example:::::::nopassword=y proxy=y host=192.0.2.11\n');
    expect(store1).toContain('\ncarol@globex.example:::::::nopassword=y proxy=y host=192.0.2.11\n');
    expect(store1).not.toContain('dan@');
    expect(files.get('store2/dovecot/passwd')).toContain(
      '\nalice@acme.example:::::::nopassword=y proxy=y host=192.0.2.10\n',
    );
    expect(files.get('store2/dovecot/passwd')).toContain('\n# bob@acme.example: no password hash yet\n');
    // The home trusts the other stores' proxies (the client's address, and a secured login).
    expect(files.get('store2/dovecot/dovecot.conf')).toContain(
      '\nlogin_trusted_networks = 192.0.2.10/32 2001:db8::10/128\n',
    );
    expect(files.get('store1/dovecot/dovecot.conf')).toContain('\nlogin_trusted_networks = 192.0.2.11/32\n');

    const alone = mtaFiles(await planOf(topology())).files;
    expect(alone.get('store1/dovecot/passwd')).not.toContain('proxy=y');
    expect(alone.get('store1/dovecot/dovecot.conf')).not.toContain('login_trusted_networks');
  });

  it('refuses, naming it, what Postfix or Dovecot cannot be told', async () => {
    // RFC 5321 allows "#" in a dot-atom, but a table line starting with it is a comment.
    const hash = await planOf(topology((t) => (t.domains['acme.example'].users['#ops'] = 'store1')));
    expect(() => mtaFiles(hash)).toThrow(MtaError);
    expect(() => mtaFiles(hash)).toThrow('"#ops@acme.example" cannot be a key of the Postfix table');
    const mute = await planOf(topology((t) => (t.hosts.store2.ipv4 = [])));
    expect(() => mtaFiles(mute)).toThrow('host store2 has no planned address');
  });
});

describe('units', () => {
  it.each([
    [432000, '5d'],
    [604800, '1w'],
    [90000, '25h'],
    [90, '90s'],
    [0, '0s'],
  ])('Postfix time %d s is %s', (seconds, text) => expect(duration(seconds)).toBe(text));

  it.each([
    [2 * 1024 ** 3, '2G'],
    [5 * 1024 ** 4, '5T'],
    [1_500_000_000, '1500000000B'],
    [1536 * 1024, '1536k'],
  ])('Dovecot size %d is %s', (bytes, text) => expect(size(bytes)).toBe(text));
});
