import { afterAll, describe, expect, it } from 'vitest';
import { brokenCopy, mxplan } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);

const building = 'examples/building/topology.yaml';

describe('mxplan records', () => {
  it('prints every derived record as JSON (owner, type, ttl, data)', async () => {
    const result = await mxplan(['records', building, '--format', 'json', '--serial', '2026010100']);
    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as {
      zone: string;
      owner: string;
      type: string;
      ttl: number;
      data: unknown;
    }[];
    expect(records.filter((r) => r.zone === 'acme.example' && r.type === 'MX')).toEqual([
      {
        zone: 'acme.example',
        owner: 'acme.example',
        type: 'MX',
        ttl: 3600,
        data: { preference: 10, exchange: 'mail1.tower.example' },
      },
      {
        zone: 'acme.example',
        owner: 'acme.example',
        type: 'MX',
        ttl: 3600,
        data: { preference: 50, exchange: 'mx-backup.tower.example' },
      },
    ]);
    expect(records).toContainEqual({
      zone: 'initech-old.example',
      owner: 'initech-old.example',
      type: 'MX',
      ttl: 3600,
      data: { preference: 0, exchange: '' },
    });
    expect(records).toContainEqual(
      expect.objectContaining({
        owner: '_dmarc.acme.example',
        type: 'TXT',
        data: ['v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@tower.example'],
      }),
    );
    expect(
      records.filter((r) => r.type === 'SOA').every((r) => (r.data as { serial: number }).serial === 2026010100),
    ).toBe(true);
  });

  it('prints one record per line in text form, the default', async () => {
    const result = await mxplan(['records', building, '--serial', '1']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain('acme.example. 3600 IN MX 10 mail1.tower.example.');
    expect(lines).toContain('initech-old.example. 3600 IN MX 0 .');
    expect(lines.every((l) => /^\S+\. \d+ IN [A-Z]+ /.test(l))).toBe(true);
  });

  it('refuses a topology with errors unless --force, and keeps findings off stdout', async () => {
    const { file } = await brokenCopy('building', (t) =>
      t.replace(
        '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
        '      - { host: mail3, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
      ),
    );
    const refused = await mxplan(['records', file, '--format', 'json']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('mx-target-planned');
    const forced = await mxplan(['records', file, '--format', 'json', '--force']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toContainEqual(
      expect.objectContaining({ owner: 'globex.example', type: 'MX', data: { preference: 10, exchange: 'mail3' } }),
    );
  });
});
