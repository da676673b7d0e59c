/**
 * `mxplan import` of zones mxplan did not write: every guess and every record left out is a
 * comment in the draft, and the draft fits the topology schema.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { reverseCidr } from '../../src/import/draft.js';
import { mxplan } from '../helpers/cli.js';
import { publicKeyOf } from '../helpers/dkim.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

const EXAMPLE_COM = `$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. ( 7 7200 1800 1209600 300 )
  NS ns1
  NS ns2.example.net.
  MX 10 mx1
  MX 20 mx.outsourced.example.net.
  TXT "v=spf1 ip4:192.0.2.25 ip4:203.0.113.7 include:_spf.mailer.example a -all"
ns1 A 192.0.2.53
mx1 A 192.0.2.25
www A 192.0.2.80
_dmarc TXT "v=DMARC1; p=quarantine; adkim=s; rua=mailto:dmarc@example.com"
_mta-sts TXT "v=STSv1; id=20240101"
`;

describe('mxplan import', () => {
  it('writes a draft whose guesses and omissions are comments', async () => {
    const dir = await tempDir('import-draft');
    const file = join(dir, 'db.example.com');
    await writeFile(file, EXAMPLE_COM);
    const { code, stdout, stderr } = await mxplan(['import', '--zone', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`  # the origin example.com is guessed from the file name ${file}\n`);
    expect(stdout).toContain(
      'role: store # guessed: the SPF of example.com authorises it, so a mailbox store that sends',
    );
    expect(stdout).toContain('# mx.outsourced.example.net: no address in these zones, so not a planned host\n    mx:');
    expect(stdout).toContain('# SPF terms the plan cannot state, left out: a');
    expect(stdout).toContain('# DMARC tags the plan cannot state, left out: adkim');
    expect(stdout).toContain('mode: testing # guessed: the mode and max_age are in the policy file, not in DNS');
    expect(stdout).toContain('#   www.example.com. A 192.0.2.80');

    const doc = parse(stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.dns.nameservers).toEqual([
      { name: 'ns1.example.com', ipv4: ['192.0.2.53'] },
      { name: 'ns2.example.net' },
    ]);
    expect(doc.hosts).toEqual({ mx1: { fqdn: 'mx1.example.com', ipv4: ['192.0.2.25'], role: 'store' } });
    expect(doc.domains['example.com']).toEqual({
      mx: [
        { host: 'mx1', preference: 10 },
        { host: 'mx.outsourced.example.net', preference: 20 },
      ],
      senders: ['mx1'],
      spf: { include: ['_spf.mailer.example'], ip4: ['203.0.113.7'] },
      dmarc: { policy: 'quarantine', rua: ['dmarc@example.com'] },
      mtaSts: { mode: 'testing', id: '20240101' },
    });

    // The draft has the documented shape: lint finds problems of the plan (no users, an MX
    // outside it), not of the file.
    const out = join(dir, 'draft.yaml');
    expect((await mxplan(['import', '--zone', `example.com=${file}`, '-o', out])).code).toBe(0);
    const lint = await mxplan(['lint', out, '--format', 'json']);
    const rules = (JSON.parse(lint.stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule);
    expect(rules).not.toContain('topology-schema');
    expect(rules).not.toContain('topology-syntax');
    expect(rules).toContain('postmaster-defined');
  });

  it('reads DKIM key records as pinned selectors that do not sign yet; a revoked one is left out', async () => {
    const dir = await tempDir('import-dkim');
    const file = join(dir, 'example.com.zone');
    const rsa = publicKeyOf('rsa-2048');
    const ed = publicKeyOf('ed25519');
    await writeFile(
      file,
      `${EXAMPLE_COM}s1._domainkey TXT "v=DKIM1; k=rsa; p=${rsa.slice(0, 200)}" "${rsa.slice(200)}"\n` +
        `e1._domainkey TXT "v=DKIM1; k=ed25519; p=${ed}"\nold._domainkey TXT "v=DKIM1; p="\n`,
    );
    const { code, stdout } = await mxplan(['import', '--zone', `example.com=${file}`]);
    expect(code).toBe(0);
    expect(stdout).toContain('# old: a revoked key (empty p=), left out');
    expect(stdout).toContain(
      'active: false # guessed: DNS does not say which selector signs, nor where its private key is',
    );
    const doc = parse(stdout) as { domains: Record<string, { dkim: unknown }> };
    expect(doc.domains['example.com']!.dkim).toEqual([
      { selector: 'e1', algorithm: 'ed25519', key: 'keys/example.com.e1.pem', publicKey: ed, active: false },
      { selector: 's1', algorithm: 'rsa-2048', key: 'keys/example.com.s1.pem', publicKey: rsa, active: false },
    ]);
  });

  it('stops with the place of a syntax error, exit 2', async () => {
    const dir = await tempDir('import-bad');
    const file = join(dir, 'bad.zone');
    await writeFile(file, '$ORIGIN bad.example.\n@ 60 MX ten mail\n');
    const { code, stderr } = await mxplan(['import', '--zone', file]);
    expect(stderr).toBe(`mxplan: ${file}:2:9: preference "ten" is not a number from 0 to 65535\n`);
    expect(code).toBe(2);
  });

  it.each([
    ['2.0.192.in-addr.arpa', '192.0.2.0/24'],
    ['10.in-addr.arpa', '10.0.0.0/8'],
    ['0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa', '2001:db8:10::/48'],
  ])('reads the network of reverse zone %s', (zone, cidr) => expect(reverseCidr(zone)).toBe(cidr));
});
