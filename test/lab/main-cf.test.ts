/**
 * The lab's main.cf: the generated one with the lab's timing at its end. Postfix's own postconf
 * reads it as the lab means it (the lab's values win) and without a warning about a parameter
 * set twice, which every Postfix process would otherwise log at start.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labOverrides, labPaths, withOverrides } from '../../src/lab/postfix.js';
import { mtaFiles } from '../../src/mta/mta-dir.js';
import { loadPlan } from '../../src/topology/load.js';
import { requireTool } from '../helpers/tools.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { run } from '../mta/support/postfix-tools.js';

afterAll(removeTempDirs);

describe.runIf(requireTool('postconf'))("the lab's main.cf", () => {
  it('sets each lab parameter once, to the lab’s value, as postconf reads it', async () => {
    const { plan } = await loadPlan('examples/building/topology.yaml');
    const stateDir = await tempDir('lab-main-cf');
    const paths = labPaths(stateDir);
    const { files } = mtaFiles(plan!, { paths });
    const backup = plan!.hosts.get('backup')!;
    const generated = files.get('backup/postfix/main.cf')!;
    expect(generated).toMatch(/^maximal_queue_lifetime = 1w$/m);

    const dir = join(stateDir, 'postfix');
    await mkdir(dir);
    await writeFile(join(dir, 'master.cf'), files.get('backup/postfix/master.cf')!);
    await writeFile(join(dir, 'main.cf'), withOverrides(generated, labOverrides(backup, paths(backup), 'fast')));
    const { code, stdout, stderr } = await run('postconf', ['-c', dir, '-n']);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    // One second per planned hour: the backup's 7d queue lifetime.
    expect(stdout).toMatch(/^maximal_queue_lifetime = 168s$/m);
    expect(stdout).toMatch(/^bounce_queue_lifetime = 168s$/m);
    expect(stdout).toMatch(/^minimal_backoff_time = 1s$/m);
    // What the lab does not override stays as generated.
    expect(stdout).toMatch(/^myhostname = mx-backup\.tower\.example$/m);
  });
});
