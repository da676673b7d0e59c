/**
 * Golden configuration: for every golden case (test/golden/NNN-name/ and every example, see
 * test/dns/golden-cases.ts), the exact files `mxplan mta` writes, under `mta/` beside the zones.
 * A case with a `passwords.txt` beside its topology is generated with it (--passwords).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTopology } from '../../src/lint/check.js';
import { mtaFiles, writeMtaDirectory } from '../../src/mta/mta-dir.js';
import { readPasswords } from '../../src/mta/passwords.js';
import { readOwnedDirectory } from '../../src/output-dir.js';
import { GENERATED_MARK } from '../../src/dns/zone-file.js';
import { goldenCases } from '../dns/golden-cases.js';
import { compareGolden } from '../helpers/golden.js';

describe('golden mail server configuration', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'mxplan-mta-golden-'));
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  for (const c of await goldenCases()) {
    it(c.name, async () => {
      const { plan, findings } = await checkTopology(c.topology, { strict: true });
      if (!plan) throw new Error(`${c.topology} does not load: ${findings.map((f) => f.message).join('; ')}`);
      const passwordsFile = join(dirname(c.topology), 'passwords.txt');
      const passwords = existsSync(passwordsFile) ? await readPasswords(passwordsFile, plan) : undefined;
      // Through the writer, as the CLI does: what lands on disk is what is compared.
      const out = join(scratch, c.name.replace(/\//g, '_'));
      await writeMtaDirectory(plan, { out, ...(passwords && { passwords }) });
      const written = (await readOwnedDirectory(out, GENERATED_MARK, { nested: true }))!;
      expect(new Map([...written].sort())).toEqual(
        new Map([...mtaFiles(plan, { ...(passwords && { passwords }) }).files].sort()),
      );
      expect(await compareGolden(join(c.expected, 'mta'), written)).toEqual([]);
    });
  }
});
