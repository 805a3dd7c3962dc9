// Small, pure statistics for comparing two evaluation runs. No I/O, no globals: every
// random draw comes from a generator seeded by the caller, so a comparison is repeatable.

import { PyRandom } from "../random/pyRandom.js";

export type Interval = [low: number, high: number];

const LN2 = Math.log(2);

/** log(exp(a) + exp(b)) without overflow. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/**
 * Exact two-sided McNemar test: a binomial test of the discordant pairs against p = 1/2.
 * `b` = docs only the first run gets right, `c` = docs only the second run gets right.
 * p = min(1, 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c)), summed in log space so that
 * thousands of discordant pairs neither overflow C(n, i) nor underflow 2^-n.
 */
export function mcnemarExactP(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`mcnemarExactP needs non-negative integer counts, got b=${b}, c=${c}`);
  }
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log of C(n, i) / 2^n, built term by term: C(n, i+1) = C(n, i) · (n - i) / (i + 1).
  let logTerm = -n * LN2;
  let logTail = logTerm;
  for (let i = 0; i < k; i++) {
    logTerm += Math.log(n - i) - Math.log(i + 1);
    logTail = logAddExp(logTail, logTerm);
  }
  return Math.min(1, 2 * Math.exp(logTail));
}

/**
 * Complementary error function: the Chebyshev-fitted `erfcc` of Numerical Recipes in C
 * (2nd ed., §6.2), fractional error < 1.2e-7 everywhere — far below what a p-value needs.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|). */
export function normalTwoSidedP(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? NaN : 0;
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * Standard normal quantile (P. J. Acklam's algorithm, relative error < 1.2e-9), for the
 * z of a (1 - alpha) confidence interval.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - pLow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** z of a two-sided (1 - alpha) interval: 1.959964 for alpha = 0.05. */
export function zForAlpha(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}

export interface DifferenceEstimate {
  /** Estimated difference (first minus second). */
  diff: number;
  /** Standard error of the difference. */
  se: number;
  ci: Interval;
  /** Two-sided p-value for "no difference". */
  pValue: number;
}

/**
 * Paired difference of two proportions from a 2×2 table of n docs:
 * `onlyFirst` docs right only in the first run, `onlySecond` right only in the second.
 * diff = (onlyFirst - onlySecond) / n with the Wald standard error of a paired difference,
 * se = sqrt((b + c) - (b - c)² / n) / n (Agresti, Categorical Data Analysis, §10.1.1),
 * and the exact McNemar p-value (the interval is the usual normal one).
 */
export function pairedProportionDifference(onlyFirst: number, onlySecond: number, n: number, alpha: number): DifferenceEstimate {
  if (n <= 0) throw new RangeError("pairedProportionDifference needs n > 0");
  const b = onlyFirst;
  const c = onlySecond;
  const diff = (b - c) / n;
  const se = Math.sqrt(Math.max(0, b + c - ((b - c) * (b - c)) / n)) / n;
  const z = zForAlpha(alpha);
  return { diff, se, ci: [diff - z * se, diff + z * se], pValue: mcnemarExactP(b, c) };
}

/**
 * Unpaired difference of two proportions p1 = x1/n1, p2 = x2/n2: the two-proportion z-test
 * (pooled standard error under "no difference") for the p-value, and the unpooled
 * (Wald) standard error for the interval.
 */
export function twoProportionDifference(p1: number, n1: number, p2: number, n2: number, alpha: number): DifferenceEstimate {
  if (n1 <= 0 || n2 <= 0) throw new RangeError("twoProportionDifference needs n1, n2 > 0");
  const diff = p1 - p2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const z = zForAlpha(alpha);
  const pValue = se0 === 0 ? (diff === 0 ? 1 : 0) : normalTwoSidedP(diff / se0);
  return { diff, se, ci: [diff - z * se, diff + z * se], pValue };
}

/** A difference with a known standard error, tested with the normal approximation. */
export function normalDifference(diff: number, se: number, alpha: number): DifferenceEstimate {
  const z = zForAlpha(alpha);
  const pValue = se === 0 ? (diff === 0 ? 1 : 0) : normalTwoSidedP(diff / se);
  return { diff, se, ci: [diff - z * se, diff + z * se], pValue };
}

/**
 * Mean of differences over independent components (a suite average of task scores):
 * diff = Σ dᵢ / k and se = sqrt(Σ seᵢ²) / k, tested with the normal approximation.
 */
export function meanOfIndependentDifferences(parts: readonly { diff: number; se: number }[], alpha: number): DifferenceEstimate {
  if (parts.length === 0) throw new RangeError("meanOfIndependentDifferences needs at least one part");
  let sum = 0;
  let variance = 0;
  for (const p of parts) {
    sum += p.diff;
    variance += p.se * p.se;
  }
  const k = parts.length;
  return normalDifference(sum / k, Math.sqrt(variance) / k, alpha);
}

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

export interface BootstrapEstimate extends DifferenceEstimate {
  iterations: number;
  seed: number;
}

/**
 * Paired bootstrap of a mean difference. `strata` holds the per-doc differences
 * (first run minus second) of each stratum; the statistic is the unweighted mean of the
 * stratum means (one stratum: the plain mean; MMLU: the macro mean of its 57 subjects).
 * Each iteration resamples every stratum with replacement, n draws of `randbelow(n)` in
 * stratum order, from `PyRandom(seed)` — the same stream as Python's
 * `random.Random(seed).randrange(n)`, so the result can be reproduced outside this code.
 * Interval: percentiles alpha/2 and 1 - alpha/2 (numpy's linear rule) of the resampled
 * statistics. p-value: the shifted-null two-sided test (Efron & Tibshirani 1993, §16.4),
 * p = (1 + #{|t*ᵦ - t| ≥ |t|}) / (B + 1).
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
  let extreme = 0;
  let sum = 0;
  for (const t of resampled) {
    if (Math.abs(t - observed) >= Math.abs(observed)) extreme++;
    sum += t;
  }
  const meanT = sum / iterations;
  let ss = 0;
  for (const t of resampled) ss += (t - meanT) * (t - meanT);
  const se = iterations > 1 ? Math.sqrt(ss / (iterations - 1)) : 0;
  const sorted = [...resampled].sort((x, y) => x - y);
  return {
    diff: observed,
    se,
    ci: [quantileSorted(sorted, alpha / 2), quantileSorted(sorted, 1 - alpha / 2)],
    pValue: (1 + extreme) / (iterations + 1),
    iterations,
    seed,
  };
}
