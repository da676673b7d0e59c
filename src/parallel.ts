/**
 * Runs `work` over `items` with at most `limit` in flight (thousands of files or messages, few
 * descriptors or connections), and gives the results in the items' order.
 *
 * On the first failure no further item is started, and the call rejects with that failure only
 * once every item already started has settled: when the caller goes on to clean up (remove a
 * staging directory, stop a sandbox), no work of this call is still running.
 */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failed) throw failure;
  return results;
}
