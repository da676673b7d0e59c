/** The README's topology sample is a contract users copy from: it must load against the schema. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parsePlan } from '../../src/topology/load.js';
import { ROOT } from '../helpers/cli.js';

it('the topology sample in the README loads without syntax or schema findings', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const sample = /## The topology[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(sample).toBeDefined();
  const { plan, findings } = await parsePlan(sample!, 'README.md', async () => 'local,host,quota\ncarol,store2,1GiB\n');
  expect(findings).toEqual([]);
  expect([...plan!.domains.keys()]).toEqual(['acme.example', 'parked.example']);
  expect([...plan!.domains.get('acme.example')!.users.keys()]).toEqual(['alice', 'bob', 'carol']);
});
