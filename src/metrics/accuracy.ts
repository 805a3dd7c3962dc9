// Multiple-choice scoring picks the choice with the highest log-likelihood via `np.argmax`
// (spec §2.4, §4). Reproduce numpy's tie and NaN rules so that acc / acc_norm match exactly.

/**
 * `np.argmax(values)` for a 1-D float array: the index of the first maximum (ties go to the
 * lowest index); if any value is NaN, the index of the first NaN (numpy treats NaN as maximal).
 * -Infinity-only arrays return 0. An empty array throws, like numpy's ValueError.
 */
export function argmaxFirst(values: readonly number[]): number {
  if (values.length === 0) {
    throw new RangeError("argmaxFirst: attempt to get argmax of an empty sequence");
  }
  let best = 0;
  let bestValue = values[0]!;
  if (Number.isNaN(bestValue)) return 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return i;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
