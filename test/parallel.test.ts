import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inParallel } from '../src/parallel.js';
import { ROOT } from './helpers/cli.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('inParallel', () => {
  it('keeps at most `limit` in flight and gives the results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel([5, 1, 4, 2, 3, 0], 2, async (n) => {
      most = Math.max(most, ++running);
      await later(n * 3);
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure, and rejects once the started items have settled', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = inParallel([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await later(n === 0 ? 1 : 20);
      settled.push(n);
      if (n === 0) throw new Error('item 0 failed');
    });
    await expect(run).rejects.toThrow('item 0 failed');
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual([0, 1]);
  });

  it('runs nothing for no items', async () => {
    expect(await inParallel([], 4, () => Promise.reject(new Error('never')))).toEqual([]);
  });
});

describe('one owner each', () => {
  const SRC = join(ROOT, 'src');
  const modules = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ name: name.split('\\').join('/'), text: readFileSync(join(SRC, name), 'utf8') }));
  /** A pool of workers over a shared cursor: `Promise.all(Array.from({ length: n }, worker))`. */
  const POOL = /Promise\.all\(\s*Array\.from\(\{\s*length:[^}]*\},\s*(?:worker|(?:async\s*)?\(\)\s*=>\s*\{)/;
  /** Signal 0 probes whether a process exists (kill(2)). */
  const PROBE = /\bkill\([^,()]+,\s*0\)/;

  it('bounded concurrency in src is inParallel (parallel.ts), nowhere written again', () => {
    expect(modules.filter((m) => POOL.test(m.text)).map((m) => m.name)).toEqual(['parallel.ts']);
  });

  it('whether a process is alive is isAlive (process-alive.ts), nowhere written again', () => {
    expect(modules.filter((m) => PROBE.test(m.text)).map((m) => m.name)).toEqual(['process-alive.ts']);
  });
});
