// Small, pure statistics for comparing two evaluation runs: exact McNemar and its inverted
// interval, Wald tests (Holm: holm.ts; minimal detectable drops: power.ts; the bootstrap: bootstrap.ts).

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
  /** Standard error of the difference (used to combine columns into an average). */
  se: number;
  /** The (1 - alpha) interval, from the same test as the p-value. */
  ci: Interval;
  /** Two-sided p-value for "no difference". */
  pValue: number;
}

/**
 * An estimate whose interval can be drawn at any level from the same test as its p-value, so that
 * for every level a: intervalAt(a) excludes 0 if and only if pValue < a. The gate asks for the
 * interval at the (Holm) level each row is tested at.
 */
export interface TestedDifference {
  diff: number;
  se: number;
  /**
   * Standard error of the difference under "no difference" (what the test's null distribution
   * has): never 0 unless the runs agree on every doc, so suite averages and minimal detectable
   * drops built on it cannot turn a zero spread into p = 0 or "a drop of 0 is detectable".
   */
  nullSe: number;
  /** Two-sided p-value for "no difference". */
  pValue: number;
  intervalAt(alpha: number): Interval;
  /**
   * Doubled one-sided p-value for "the difference is below x" against "it is at least x", from the
   * same test as the interval: for every level a, intervalAt(a)[1] < x iff pBelow(x) < a. The
   * gate's --max-drop rule asks pBelow(-maxDrop) ("dropped by more than the allowance").
   */
  pBelow(x: number): number;
  /** The mirror: intervalAt(a)[0] > x iff pAbove(x) < a ("dropped by less than x" for x = -margin). */
  pAbove(x: number): number;
}

export function atLevel(t: TestedDifference, alpha: number): DifferenceEstimate {
  return { diff: t.diff, se: t.se, ci: t.intervalAt(alpha), pValue: t.pValue };
}

/** log C(n, i) / 2^n ... P(X = i) of Binomial(n, p), for i = 0..n, in log space. */
function binomialLogPmf(n: number, p: number): number[] {
  const out = new Array<number>(n + 1);
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logC = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    const a = i === 0 ? 0 : i * lp;
    const b = i === n ? 0 : (n - i) * lq;
    out[i] = logC + a + b;
  }
  return out;
}

/** P(X <= k) for X ~ Binomial(n, p), summed in log space. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const pmf = binomialLogPmf(n, p);
  let acc = -Infinity;
  for (let i = 0; i <= k; i++) acc = logAddExp(acc, pmf[i]!);
  return Math.min(1, Math.exp(acc));
}

/**
 * Clopper-Pearson (exact) interval for a binomial proportion, x successes of n, level 1 - alpha:
 * lower solves P(X >= x | p) = alpha/2, upper solves P(X <= x | p) = alpha/2 (bisection; both
 * tails are monotone in p). Inverting the two one-sided exact tests at alpha/2 each.
 */
export function clopperPearson(x: number, n: number, alpha: number): Interval {
  if (!Number.isInteger(x) || !Number.isInteger(n) || n <= 0 || x < 0 || x > n) throw new RangeError(`clopperPearson needs 0 <= x <= n, n > 0, got ${x}, ${n}`);
  // Bisection for p with g(p) = alpha / 2, where g is monotone (increasing or decreasing).
  const solve = (g: (p: number) => number, increasing: boolean): number => {
    let lo = 0;
    let hi = 1;
    for (let it = 0; it < 200 && hi - lo > 1e-15; it++) {
      const mid = (lo + hi) / 2;
      if (g(mid) < alpha / 2 === increasing) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = x === 0 ? 0 : solve((p) => 1 - binomialCdf(x - 1, n, p), true); // P(X >= x | p)
  const upper = x === n ? 1 : solve((p) => binomialCdf(x, n, p), false); // P(X <= x | p)
  return [lower, upper];
}

/**
 * Paired difference of two proportions over n docs, `onlyFirst` (b) docs right only in the first
 * run and `onlySecond` (c) only in the second: diff = (b - c) / n.
 *
 * Test: the exact McNemar test, p = min(1, 2 P(X <= min(b, c))) for X ~ Binomial(b + c, 1/2).
 * Interval: the same test inverted. Given the d = b + c discordant docs, b ~ Binomial(d, π) and
 * diff = (d / n)(2π - 1); the Clopper-Pearson interval [πL, πU] of π at level a maps to
 * [(d/n)(2πL - 1), (d/n)(2πU - 1)]. It excludes 0 iff it excludes π = 1/2, iff one exact tail at
 * 1/2 is below a/2, iff p < a (the Binomial(d, 1/2) is symmetric, so the doubled smaller tail is
 * the two-sided p). The interval is conditional on d, like the test.
 * se: the Wald standard error of a paired difference, sqrt((b + c) - (b - c)²/n) / n (Agresti,
 * Categorical Data Analysis, §10.1.1), used only to combine columns into a suite average.
 */
export function pairedExactDifference(onlyFirst: number, onlySecond: number, n: number): TestedDifference {
  if (n <= 0) throw new RangeError("pairedExactDifference needs n > 0");
  const b = onlyFirst;
  const c = onlySecond;
  const d = b + c;
  if (d > n) throw new RangeError(`pairedExactDifference: ${d} discordant docs of ${n}`);
  // π under "the difference is x": x = (d/n)(2π - 1).
  const piAt = (x: number): number => (1 + (x * n) / d) / 2;
  return {
    diff: (b - c) / n,
    se: Math.sqrt(Math.max(0, d - ((b - c) * (b - c)) / n)) / n,
    // Var((b - c)/n | no difference) = d/n², with at least one discordant doc, as for the MDD.
    nullSe: Math.sqrt(Math.max(d, 1)) / n,
    pValue: mcnemarExactP(b, c),
    intervalAt(alpha: number): Interval {
      if (d === 0) return [0, 0];
      const [lo, hi] = clopperPearson(b, d, alpha);
      return [(d / n) * (2 * lo - 1), (d / n) * (2 * hi - 1)];
    },
    // The upper end is below x iff πU < π(x) iff P(X <= b | π(x)) < a/2 (that tail falls as π rises).
    pBelow(x: number): number {
      if (d === 0) return x > 0 ? 0 : 1;
      if (x > d / n) return 0; // the difference is at most d/n given d
      return Math.min(1, 2 * binomialCdf(b, d, Math.min(1, Math.max(0, piAt(x)))));
    },
    // The lower end is above x iff πL > π(x) iff P(X >= b | π(x)) < a/2, i.e. P(d - X <= d - b | 1 - π(x)).
    pAbove(x: number): number {
      if (d === 0) return x < 0 ? 0 : 1;
      if (x < -d / n) return 0;
      return Math.min(1, 2 * binomialCdf(d - b, d, Math.min(1, Math.max(0, 1 - piAt(x)))));
    },
  };
}

/** Kept for callers that want one level: the exact McNemar difference at alpha. */
export function pairedProportionDifference(onlyFirst: number, onlySecond: number, n: number, alpha: number): DifferenceEstimate {
  return atLevel(pairedExactDifference(onlyFirst, onlySecond, n), alpha);
}

/** Φ(z), the standard normal distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * A difference with a known standard error: Wald z test and the Wald interval of the same se;
 * `nullSe` (default se) is the standard error under "no difference" for callers that know it.
 * With se = 0 the interval is the point and only pBelow / pAbove of that point decide.
 */
export function normalTested(diff: number, se: number, nullSe = se): TestedDifference {
  const oneSided = (z: number): number => Math.min(1, 2 * normalCdf(z));
  return {
    diff,
    se,
    nullSe,
    pValue: se === 0 ? (diff === 0 ? 1 : 0) : normalTwoSidedP(diff / se),
    intervalAt: (alpha: number): Interval => {
      const z = zForAlpha(alpha);
      return [diff - z * se, diff + z * se];
    },
    pBelow: (x: number): number => (se === 0 ? (diff < x ? 0 : 1) : oneSided((diff - x) / se)),
    pAbove: (x: number): number => (se === 0 ? (diff > x ? 0 : 1) : oneSided((x - diff) / se)),
  };
}

/**
 * Unpaired difference of two proportions p1 = x1/n1, p2 = x2/n2: the Wald test and interval on the
 * same unpooled standard error sqrt(p1(1-p1)/n1 + p2(1-p2)/n2), so that the interval excludes 0
 * exactly when p < alpha.
 */
export function twoProportionTested(p1: number, n1: number, p2: number, n2: number): TestedDifference {
  if (n1 <= 0 || n2 <= 0) throw new RangeError("twoProportionDifference needs n1, n2 > 0");
  return normalTested(p1 - p2, Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2));
}

export function twoProportionDifference(p1: number, n1: number, p2: number, n2: number, alpha: number): DifferenceEstimate {
  return atLevel(twoProportionTested(p1, n1, p2, n2), alpha);
}

/** A difference with a known standard error, tested with the normal approximation. */
export function normalDifference(diff: number, se: number, alpha: number): DifferenceEstimate {
  return atLevel(normalTested(diff, se), alpha);
}

/**
 * Mean of differences over independent components (a suite average of task scores):
 * diff = Σ dᵢ / k and se = sqrt(Σ seᵢ²) / k, tested with the normal approximation.
 */
export function meanOfIndependentDifferences(parts: readonly { diff: number; se: number }[], alpha: number): DifferenceEstimate {
  const t = meanOfIndependentTested(parts.map((p) => ({ diff: p.diff, nullSe: p.se })));
  if (!t) throw new RangeError("meanOfIndependentDifferences: a nonzero difference with zero standard errors cannot be tested");
  return atLevel(t, alpha);
}

/**
 * The same on the components' standard errors under "no difference": a z test of the mean
 * difference, its p-value and interval on sqrt(Σ nullSeᵢ²) / k. Null when that is 0 while the
 * mean differs from 0: zero spread says nothing about a difference, so no p-value (never p = 0).
 */
export function meanOfIndependentTested(parts: readonly { diff: number; nullSe: number }[]): TestedDifference | null {
  if (parts.length === 0) throw new RangeError("meanOfIndependentDifferences needs at least one part");
  let sum = 0;
  let variance = 0;
  for (const p of parts) {
    sum += p.diff;
    variance += p.nullSe * p.nullSe;
  }
  const k = parts.length;
  const se = Math.sqrt(variance) / k;
  if (se === 0 && sum !== 0) return null;
  return normalTested(sum / k, se, se);
}
