// How a wave of evaluations is spread over the context's sequences, as pure functions
// (no node-llama-cpp; test/backend-waves.test.ts checks them on hand-built inputs).
//
// A wave is up to N evaluations (N = sequences) launched together, so that node-llama-cpp
// merges them into one llama_decode. Each evaluation runs on its own sequence, whose KV
// cache should already hold as much of its input as possible: it gets the sequence that
// shares the most with it, and a sequence that shares less than another one does is
// first given a copy of that one's cache (a copy of cells, no evaluation). So a prefix
// shared by several requests (a question's context, a few-shot prefix) is evaluated once.

/** Length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let position = 0;
  while (position < limit && a[position] === b[position]) position++;
  return position;
}

/**
 * Gives each member of a wave a distinct sequence: in member order, the free sequence whose
 * cache shares the most with the member (`shared[member][sequence]`); on a tie the one that
 * holds the fewest tokens (`cached[sequence]`: an empty sequence first, so that a cache a
 * later request may still use is overwritten last), then the lowest index. Needs at least as
 * many sequences as members.
 */
export function assignSequences(shared: readonly (readonly number[])[], cached: readonly number[]): number[] {
  const taken = new Set<number>();
  return shared.map((row) => {
    let best = -1;
    row.forEach((length, sequence) => {
      if (taken.has(sequence)) return;
      if (best < 0 || length > row[best]! || (length === row[best]! && cached[sequence]! < cached[best]!)) best = sequence;
    });
    if (best < 0) throw new RangeError("a wave has more members than sequences");
    taken.add(best);
    return best;
  });
}

/** A copy of the first `upTo` cached tokens of `source` into `target`. */
export interface PrefixCopy {
  target: number;
  source: number;
  upTo: number;
}

/**
 * For each member (on sequence `assigned[m]`, able to use at most `keep[m]` cached tokens):
 * the copy that gives it the longest usable prefix, when another sequence's cache shares
 * more with it than its own (`shared[m][s]`, already capped at `keep[m]`). Ordered so that no
 * sequence is overwritten before it has served as a source; a copy that would close a cycle
 * is left out (its member evaluates more tokens, nothing else changes).
 */
export function planCopies(shared: readonly (readonly number[])[], assigned: readonly number[]): PrefixCopy[] {
  const wanted: PrefixCopy[] = [];
  assigned.forEach((target, member) => {
    const row = shared[member]!;
    let source = target;
    row.forEach((length, sequence) => {
      if (length > row[source]!) source = sequence;
    });
    if (source !== target) wanted.push({ target, source, upTo: row[source]! });
  });
  const ordered: PrefixCopy[] = [];
  const pending = [...wanted];
  while (pending.length > 0) {
    const ready = pending.findIndex((copy) => !pending.some((other) => other !== copy && other.source === copy.target));
    // Every pending copy overwrites some other one's source: a cycle. Drop one copy.
    const [next] = pending.splice(ready < 0 ? 0 : ready, 1);
    if (ready >= 0) ordered.push(next!);
  }
  return ordered;
}

/** Evaluations at most this long are padded to one length (see `paddedLengths`). */
export const SHORT_EVALUATION = 8;
/** Padding tokens worth one compute saved (see `paddedLengths`). */
export const PADDING_PER_COMPUTE = 4;

/**
 * The lengths to evaluate for a launch's items of `lengths` tokens. llama.cpp splits a decode
 * of several sequences into computes that take the same number of tokens from consecutive
 * sequences, so items of unequal length cost one compute per distinct length (and more when
 * a short item sits between longer ones). The short items (a question's choices: 1–8
 * tokens) are padded to their longest, which costs a few tokens instead of extra computes:
 * at most `PADDING_PER_COMPUTE` tokens per compute saved (on a CPU a compute of a few tokens
 * costs about as much as several more tokens in a larger one); `room[i]` caps item i's
 * length (its free cells). The padding follows the item, so causal attention keeps it out of every position
 * that is read.
 */
export function paddedLengths(lengths: readonly number[], room: readonly number[]): number[] {
  const isShort = (length: number): boolean => length > 0 && length <= SHORT_EVALUATION;
  const short = lengths.filter(isShort);
  if (short.length < 2) return [...lengths];
  const target = Math.max(...short);
  const padding = short.reduce((sum, length) => sum + target - length, 0);
  if (padding > PADDING_PER_COMPUTE * (new Set(short).size - 1)) return [...lengths];
  return lengths.map((length, item) => (isShort(length) ? Math.max(length, Math.min(target, room[item]!)) : length));
}
