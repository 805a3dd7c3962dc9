// Holm's step-down adjustment over a family of p-values, with the level each raw p is compared with.

/**
 * Holm's step-down adjustment (Holm 1979). Sort the m p-values ascending, p(1) <= ... <= p(m);
 * adjusted p(i) = max over j <= i of min(1, (m - j + 1) p(j)). Rejecting where the adjusted p is
 * below alpha controls the family-wise error rate at alpha. Also returns, per p-value, the level
 * its own raw p is compared with: alpha / (m - i + 1) for the rejected (rank i), and alpha / (m - s)
 * for the rest (s rejected), so that raw p < level iff adjusted p < alpha — an interval drawn at
 * that level excludes 0 exactly when the row is significant after adjustment.
 */
export function holm(pValues: readonly number[], alpha: number): { adjusted: number[]; level: number[] } {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  const level = new Array<number>(m);
  let running = 0;
  let rejected = 0;
  let stopped = false;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
    if (!stopped && running < alpha) {
      rejected++;
      level[i] = alpha / (m - rank);
    } else stopped = true;
  });
  for (const { i } of order) if (level[i] === undefined) level[i] = alpha / (m - rejected);
  return { adjusted, level };
}
