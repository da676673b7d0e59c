import { describe, expect, it } from 'vitest';
import { inParallel } from '../src/parallel.js';

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
