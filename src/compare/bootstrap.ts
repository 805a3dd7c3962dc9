// The paired bootstrap of `compare` (ROUGE-2, mc2, MMLU by subject): one seeded distribution of
// resampled mean differences gives both the interval and the p-value, so they never disagree.

import { PyRandom } from "../random/pyRandom.js";
import type { DifferenceEstimate, Interval, TestedDifference } from "./stats.js";

/** numpy's default (linear, "type 7") percentile of an ascending array, q in [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError("quantileSorted of an empty array");
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface BootstrapOptions {
  iterations: number;
  seed: number;
  alpha: number;
}

export interface BootstrapEstimate extends DifferenceEstimate, TestedDifference {
  iterations: number;
  seed: number;
}

/**
 * The interval and p-value of one bootstrap distribution, consistent by construction. With B
 * sorted resampled statistics t*, L = #{t* <= 0} and U = #{t* >= 0}:
 * p = min(1, 2 · min(L, U) / B) (the percentile bootstrap test, Efron & Tibshirani 1993, §16.4's
 * "achieved significance level" read off the same distribution), and the level-a interval is
 * [t*(k), t*(B+1-k)] (1-based order statistics) with k = ceil(a·B/2). Then the lower end is above
 * 0 iff L < k iff 2L/B < a, and the upper end below 0 iff 2U/B < a: the interval excludes 0
 * exactly when p < a.
 */
function bootstrapInterval(sorted: readonly number[], alpha: number): Interval {
  const B = sorted.length;
  const k = Math.min(B, Math.max(1, Math.ceil((alpha * B) / 2)));
  return [sorted[k - 1]!, sorted[B - k]!];
}

/** #{v < x} of an ascending array (binary search). */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** #{v <= x} of an ascending array. */
function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Paired bootstrap of a mean difference. `strata` holds the per-doc differences
 * (first run minus second) of each stratum; the statistic is the unweighted mean of the
 * stratum means (one stratum: the plain mean; MMLU: the macro mean of its 57 subjects).
 * Each iteration resamples every stratum with replacement, n draws of `randbelow(n)` in
 * stratum order, from `PyRandom(seed)` — the same stream as Python's
 * `random.Random(seed)._randbelow(n)`, so the result can be reproduced outside this code.
 * Interval and p-value: `bootstrapInterval` on the resampled statistics; se: their standard
 * deviation (ddof 1).
 */
export function pairedBootstrap(strata: readonly (readonly number[])[], options: BootstrapOptions): BootstrapEstimate {
  const used = strata.filter((s) => s.length > 0);
  if (used.length === 0) throw new RangeError("pairedBootstrap needs at least one difference");
  const { iterations, seed, alpha } = options;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`pairedBootstrap iterations must be a positive integer, got ${iterations}`);
  const statistic = (means: number[]): number => {
    let s = 0;
    for (const m of means) s += m;
    return s / means.length;
  };
  const observed = statistic(
    used.map((d) => {
      let s = 0;
      for (const v of d) s += v;
      return s / d.length;
    }),
  );
  const rng = new PyRandom(seed);
  const resampled = new Array<number>(iterations);
  const means = new Array<number>(used.length);
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < used.length; k++) {
      const d = used[k]!;
      const n = d.length;
      let s = 0;
      for (let i = 0; i < n; i++) s += d[rng.randbelow(n)]!;
      means[k] = s / n;
    }
    resampled[it] = statistic(means);
  }
  let below = 0;
  let above = 0;
  let sum = 0;
  for (const t of resampled) {
    if (t <= 0) below++;
    if (t >= 0) above++;
    sum += t;
  }
  const meanT = sum / iterations;
  let ss = 0;
  for (const t of resampled) ss += (t - meanT) * (t - meanT);
  const se = iterations > 1 ? Math.sqrt(ss / (iterations - 1)) : 0;
  const sorted = [...resampled].sort((x, y) => x - y);
  const intervalAt = (a: number): Interval => bootstrapInterval(sorted, a);
  // Under "no difference" each doc's difference is as likely either sign: Var(mean_k) = Σ d² / n_k²,
  // and the statistic averages the K strata. Zero only when the runs agree on every doc.
  let nullVariance = 0;
  for (const d of used) {
    let ss = 0;
    for (const v of d) ss += v * v;
    nullVariance += ss / (d.length * d.length);
  }
  return {
    diff: observed,
    se,
    nullSe: Math.sqrt(nullVariance) / used.length,
    ci: intervalAt(alpha),
    pValue: Math.min(1, (2 * Math.min(below, above)) / iterations),
    intervalAt,
    // The upper end (the k-th largest t*) is below x iff fewer than k = ceil(a·B/2) of the t* are
    // at least x, iff 2·#{t* >= x}/B < a; the lower end likewise with #{t* <= x}.
    pBelow: (x: number): number => Math.min(1, (2 * (iterations - countBelow(sorted, x))) / iterations),
    pAbove: (x: number): number => Math.min(1, (2 * countAtMost(sorted, x)) / iterations),
    iterations,
    seed,
  };
}
