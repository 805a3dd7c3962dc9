// How the requests the cache cannot answer are cut into the chunks sent to the inner
// backend, one call each. Chunk boundaries never split the choices of one question
// (requests with the same context). The llama backend scores the positions such requests
// share once, in the batch of the first of them; scored in another call, the same position
// comes from a batch of another size and can differ in the last bits (seen: 4.6e-7 nats on
// stories260K). Kept together, an uninterrupted run gives the same bits whatever the
// chunking. (A run resumed after a kill in the middle of a question computes the rest of
// that question without its stored siblings: those answers agree within 1e-6 nats.)
// Chunk sizes follow a fixed schedule (4, 8, 16, ... up to `maxChunk` requests), not
// the clock, so two runs of the same command cut the same chunks.

/** A request the cache cannot answer, with its key and its position in the call. */
export interface Miss<R> {
  key: string;
  request: R;
  index: number;
}

/**
 * Cuts `misses` (in the order they are to be computed) into chunks of `minChunk`, then
 * twice as many requests each time up to `maxChunk`; a chunk is extended past its size
 * while `together` holds for its last request and the next.
 */
export function cutChunks<R>(misses: readonly Miss<R>[], together: (a: R, b: R) => boolean, minChunk: number, maxChunk: number): Miss<R>[][] {
  let chunk = Math.min(minChunk, maxChunk);
  const chunks: Miss<R>[][] = [];
  for (let start = 0; start < misses.length; ) {
    let end = Math.min(misses.length, start + chunk);
    while (end < misses.length && together(misses[end - 1]!.request, misses[end]!.request)) end++;
    chunks.push(misses.slice(start, end));
    start = end;
    chunk = Math.min(maxChunk, 2 * chunk);
  }
  return chunks;
}
