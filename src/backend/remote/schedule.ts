// How work is cut into HTTP calls and how many calls are in flight: pure batching in the
// given (prefix-trie) order, and a pool of workers that take the next batch as one finishes.

/**
 * Consecutive items in batches of at most `maxItems` items and `maxTokens` tokens (an item
 * larger than `maxTokens` goes alone); `together(a, b)` false starts a new batch.
 */
export function batchesOf<T>(items: readonly T[], maxItems: number, maxTokens: number, tokensOf: (item: T) => number, together: (a: T, b: T) => boolean = () => true): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let tokens = 0;
  for (const item of items) {
    const size = tokensOf(item);
    const previous = current[current.length - 1];
    if (current.length > 0 && (current.length >= maxItems || tokens + size > maxTokens || !together(previous!, item))) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(item);
    tokens += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Runs `work` on every batch, at most `concurrency` at a time, in order of start. After a
 * failure no new batch starts; those in flight finish (their answers are committed), then the
 * first failure is thrown.
 */
export async function runPool<T>(batches: readonly T[], concurrency: number, work: (batch: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < batches.length) {
      const batch = batches[next++]!;
      try {
        await work(batch);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, batches.length)) }, worker));
  if (failed) throw failure;
}
