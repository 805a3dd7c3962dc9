import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clopperPearson,
  mcnemarExactP,
  pairedExactDifference,
  meanOfIndependentDifferences,
  normalQuantile,
  normalTwoSidedP,
  pairedProportionDifference,
  twoProportionDifference,
  zForAlpha,
} from "../src/compare/stats.js";
import { pairedBootstrap, quantileSorted } from "../src/compare/bootstrap.js";
import { holm } from "../src/compare/holm.js";
import { mcnemarMinimalDetectable, minimalDetectable } from "../src/compare/power.js";

const close = (actual: number, expected: number, rel = 1e-9, what = "") => {
  const tol = Math.max(Math.abs(expected) * rel, 1e-15);
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} != ${expected} (tol ${tol})`);
};

test("exact McNemar p-values for small discordant counts, by hand", () => {
  // p = min(1, 2 * sum_{i<=min(b,c)} C(b+c, i) / 2^(b+c))
  assert.equal(mcnemarExactP(0, 0), 1);
  assert.equal(mcnemarExactP(0, 5), 2 / 32); // 2 * 1/32
  assert.equal(mcnemarExactP(5, 0), 2 / 32); // symmetric
  close(mcnemarExactP(1, 9), 22 / 1024, 1e-12, "1,9"); // 2 * (1 + 10) / 1024
  close(mcnemarExactP(2, 8), 112 / 1024, 1e-12, "2,8"); // 2 * (1 + 10 + 45) / 1024
  assert.equal(mcnemarExactP(5, 5), 1); // 2 * (638/1024) > 1
  assert.equal(mcnemarExactP(3, 4), 1); // 2 * (1+7+21+35)/128 = 1
  close(mcnemarExactP(0, 20), 2 / 2 ** 20, 1e-12, "0,20");
});

test("exact McNemar p-values for large counts (exact fractions in Python, math.comb; equal to scipy.stats.binomtest)", () => {
  close(mcnemarExactP(100, 150), 0.001883300935076157, 1e-9, "100,150");
  close(mcnemarExactP(1000, 1100), 0.030720707864242296, 1e-9, "1000,1100");
  close(mcnemarExactP(5200, 5000), 0.04878796312682245, 1e-9, "5200,5000");
  // 2 / 2^1074 is below the smallest normal double: computed in log space it neither overflows
  // nor turns into NaN.
  const tiny = mcnemarExactP(0, 1074);
  assert.ok(tiny > 0 && tiny < 1e-300, `0,1074 -> ${tiny}`);
  assert.equal(mcnemarExactP(0, 5000), 0);
  assert.throws(() => mcnemarExactP(-1, 2), RangeError);
  assert.throws(() => mcnemarExactP(1.5, 2), RangeError);
});

test("normal quantile and two-sided p (scipy.stats.norm values)", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8, "ppf .975");
  close(normalQuantile(0.995), 2.5758293035489004, 1e-8, "ppf .995");
  close(normalQuantile(0.001), -3.090232306167813, 1e-8, "ppf .001");
  close(zForAlpha(0.05), 1.959963984540054, 1e-8, "z .05");
  close(normalTwoSidedP(1.959963984540054), 0.05, 1e-6, "p(1.96)");
  close(normalTwoSidedP(-2.5758293035489004), 0.01, 1e-6, "p(-2.58)");
  close(normalTwoSidedP(0), 1, 1e-7, "p(0)");
  // 2 * norm.sf(2.5 / 0.75)
  close(normalTwoSidedP(2.5 / 0.75), 0.0008581206663936744, 1e-6, "p(3.33)");
});

// ---- Independent references, written here from the formulas (no code shared with stats.ts) ----

/** C(n, k) exactly. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Exact McNemar p = min(1, 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c)), in exact integers. */
function refMcnemarP(b: number, c: number): number {
  const d = b + c;
  if (d === 0) return 1;
  let tail = 0n;
  for (let i = 0; i <= Math.min(b, c); i++) tail += choose(d, i);
  // 2 · tail / 2^d as a double, computed from the exact integers.
  return Math.min(1, Number((2n * tail * 10n ** 18n) / 2n ** BigInt(d)) / 1e18);
}

/** P(X <= k) for X ~ Binomial(n, p), by direct summation of C(n, i) p^i (1-p)^(n-i) (small n only). */
function refBinomCdf(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = 0; i <= k; i++) s += Number(choose(n, i)) * p ** i * (1 - p) ** (n - i);
  return s;
}

/** Clopper-Pearson bounds by bisection on the reference cdf (small n only). */
function refClopperPearson(x: number, n: number, alpha: number): [number, number] {
  const bisect = (f: (p: number) => number, target: number, increasing: boolean): number => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if ((f(mid) < target) === increasing) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = x === 0 ? 0 : bisect((p) => 1 - refBinomCdf(x - 1, n, p), alpha / 2, true);
  const upper = x === n ? 1 : bisect((p) => refBinomCdf(x, n, p), alpha / 2, false);
  return [lower, upper];
}

test("exact McNemar against a published worked example", () => {
  // Fagerland, Lydersen & Laake (2013), "The McNemar test for binary matched-pairs data: mid-p and
  // asymptotic are better than exact conditional", BMC Med Res Methodol 13:91, Table 1 (airway
  // hyper-responsiveness before/after stem cell transplantation, n = 21, discordant b = 1,
  // c = 7): exact conditional McNemar p = 0.070.
  assert.equal(refMcnemarP(1, 7).toFixed(3), "0.070");
  assert.equal(mcnemarExactP(1, 7).toFixed(3), "0.070");
  close(mcnemarExactP(1, 7), 18 / 256, 1e-12, "1,7"); // 2 · (1 + 8) / 2^8
});

test("Clopper-Pearson: closed forms and the tabulated 5 of 10", () => {
  // x = 0: the upper bound solves (1 - p)^n = alpha/2, p = 1 - (alpha/2)^(1/n).
  const [lo0, hi0] = clopperPearson(0, 10, 0.05);
  assert.equal(lo0, 0);
  close(hi0, 1 - 0.025 ** 0.1, 1e-9, "0/10 upper");
  // x = n: the lower bound is (alpha/2)^(1/n).
  close(clopperPearson(10, 10, 0.05)[0], 0.025 ** 0.1, 1e-9, "10/10 lower");
  // 5 of 10 at 95%: [0.1871, 0.8129] (Clopper & Pearson 1934's charts; the usual tables).
  const [lo, hi] = clopperPearson(5, 10, 0.05);
  assert.equal(lo.toFixed(4), "0.1871");
  assert.equal(hi.toFixed(4), "0.8129");
  for (const [x, n, a] of [
    [3, 17, 0.05],
    [12, 20, 0.01],
    [1, 8, 0.1],
  ] as const) {
    const ref = refClopperPearson(x, n, a);
    const got = clopperPearson(x, n, a);
    close(got[0], ref[0], 1e-7, `${x}/${n} lo`);
    close(got[1], ref[1], 1e-7, `${x}/${n} hi`);
  }
});

test("paired difference of proportions: exact McNemar p and the inverted exact interval", () => {
  // b = 0 new-only, c = 10 baseline-only of n = 100: diff = -0.1; given d = 10 discordant docs,
  // b ~ Binomial(10, π) and diff = (d/n)(2π - 1); π's Clopper-Pearson interval for 0 of 10 is
  // [0, 1 - 0.025^(1/10)], so the interval is [-0.1, 0.1 · (2 (1 - 0.025^0.1) - 1)].
  const e = pairedProportionDifference(0, 10, 100, 0.05);
  close(e.diff, -0.1, 1e-12, "diff");
  close(e.se, 0.03, 1e-12, "se"); // Wald, sqrt(10 - 100/100) / 100, for averages only
  close(e.ci[0], -0.1, 1e-9, "lo");
  close(e.ci[1], 0.1 * (2 * (1 - 0.025 ** 0.1) - 1), 1e-9, "hi");
  close(e.pValue, 2 / 1024, 1e-12, "p");
});

test("interval, p-value and decision agree: the interval excludes 0 iff p < alpha (exact references)", () => {
  let checked = 0;
  let excluded = 0;
  for (const alpha of [0.05, 0.01, 0.1, 0.05 / 7]) {
    for (let b = 0; b <= 14; b++) {
      for (let c = 0; c <= 14; c++) {
        const n = 40;
        const t = pairedExactDifference(b, c, n);
        const p = refMcnemarP(b, c);
        close(t.pValue, p, 1e-9, `p ${b},${c}`);
        const [lo, hi] = t.intervalAt(alpha);
        // Independent interval: the reference Clopper-Pearson of b of d, mapped to the difference.
        const d = b + c;
        if (d > 0) {
          const [pl, pu] = refClopperPearson(b, d, alpha);
          close(lo, (d / n) * (2 * pl - 1), 1e-6, `lo ${b},${c}`);
          close(hi, (d / n) * (2 * pu - 1), 1e-6, `hi ${b},${c}`);
        }
        assert.ok(lo <= t.diff + 1e-12 && t.diff <= hi + 1e-12, `estimate inside its interval ${b},${c}`);
        const excludes = lo > 0 || hi < 0;
        assert.equal(excludes, p < alpha, `b=${b} c=${c} alpha=${alpha}: [${lo}, ${hi}] vs p=${p}`);
        checked++;
        if (excludes) excluded++;
      }
    }
  }
  // Both outcomes occur, so the check can fail either way.
  assert.ok(excluded > 50 && checked - excluded > 50, `${excluded} of ${checked}`);
});

test("bootstrap interval and p from one distribution: the interval excludes 0 iff p < alpha", () => {
  const data = [
    [[1, 0, -1, 2, 0, 3, 1, 0]],
    [[-2, 2, -5, 0, -5]],
    [[0.4, 0.1, 0.3, -0.2, 0.5, 0.2, 0.1, 0.0, 0.3]],
    [
      [0, 100, 0, 0],
      [-100, 0, 100],
    ],
  ];
  let flips = 0;
  for (const strata of data) {
    const e = pairedBootstrap(strata, { iterations: 400, seed: 11, alpha: 0.05 });
    for (const a of [0.2, 0.1, 0.05, 0.02, 0.01, 0.005]) {
      const [lo, hi] = e.intervalAt(a);
      assert.equal(lo > 0 || hi < 0, e.pValue < a, `alpha ${a}: [${lo}, ${hi}] vs p ${e.pValue}`);
      if (e.pValue < a) flips++;
    }
  }
  assert.ok(flips > 0 && flips < 24, `${flips}`);
});

test("Holm on a hand-computed case", () => {
  // p = (0.01, 0.04, 0.03, 0.005), m = 4, alpha = 0.05. Sorted: 0.005, 0.01, 0.03, 0.04.
  // Adjusted: 4·0.005 = 0.02; max(0.02, 3·0.01 = 0.03) = 0.03; max(0.03, 2·0.03 = 0.06) = 0.06;
  // max(0.06, 1·0.04) = 0.06. Rejected: 0.005 (< 0.05/4) and 0.01 (< 0.05/3); then 0.03 ≥ 0.05/2 stops.
  const { adjusted, level } = holm([0.01, 0.04, 0.03, 0.005], 0.05);
  close(adjusted[0]!, 0.03, 1e-12, "adj 0.01");
  close(adjusted[1]!, 0.06, 1e-12, "adj 0.04");
  close(adjusted[2]!, 0.06, 1e-12, "adj 0.03");
  close(adjusted[3]!, 0.02, 1e-12, "adj 0.005");
  // Levels: rank 1 → alpha/4, rank 2 → alpha/3, the rest alpha/(4 - 2) = alpha/2.
  close(level[3]!, 0.05 / 4, 1e-12, "level 0.005");
  close(level[0]!, 0.05 / 3, 1e-12, "level 0.01");
  close(level[2]!, 0.05 / 2, 1e-12, "level 0.03");
  close(level[1]!, 0.05 / 2, 1e-12, "level 0.04");
  // The step-down stops: 0.04 < 0.05 raw but is not rejected, and its level says so.
  assert.ok(!(0.04 < level[1]!));
  const one = holm([0.03], 0.05);
  assert.deepEqual(one, { adjusted: [0.03], level: [0.05] });
});

test("minimal detectable drop: (z_{1-alpha/2} + z_0.8) · se0, never below what the exact test can see", () => {
  // z_0.975 = 1.959963984540054, z_0.8 = 0.8416212335729143 (scipy.stats.norm.ppf)
  close(minimalDetectable(1, 0.05), 1.959963984540054 + 0.8416212335729143, 1e-7, "mdd");
  // McNemar, n = 1000 docs, 100 discordant: sqrt(0.1 / 1000) · 2.8016 = 0.0280
  close(mcnemarMinimalDetectable(100, 1000, 0.05), 2.801585218113 * Math.sqrt(0.1 / 1000), 1e-7, "mcnemar");
  // n = 100, no discordant doc: the exact test needs 6 docs all one way (2 · 2^-6 < 0.05 ≤ 2 · 2^-5).
  close(mcnemarMinimalDetectable(0, 100, 0.05), 0.06, 1e-12, "floor");
});

test("mean of independent differences: se = sqrt(sum se^2) / k", () => {
  const e = meanOfIndependentDifferences(
    [
      { diff: -10, se: 3 },
      { diff: 0, se: 0 },
      { diff: 0, se: 0 },
      { diff: 0, se: 0 },
    ],
    0.05,
  );
  close(e.diff, -2.5, 1e-12, "diff");
  close(e.se, 0.75, 1e-12, "se");
  close(e.pValue, 0.0008581206663936744, 1e-6, "p");
  close(e.ci[0], -3.9699729884050408, 1e-8, "lo");
  close(e.ci[1], -1.0300270115949595, 1e-8, "hi");
});

test("numpy-style linear percentile", () => {
  // numpy.percentile([1,2,3,4], 25) = 1.75, 50 -> 2.5, 100 -> 4
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([7], 0.3), 7);
});

// Reference: the same procedure in Python — rnd = random.Random(seed); per iteration and per
// stratum, n draws of s[rnd._randbelow(n)] summed left to right; for the
// interval: order statistics k and B+1-k, k = ceil(alpha·B/2); p = min(1, 2·min(#{t<=0}, #{t>=0}) / B);
// np.std(ddof=1) for se.
test("paired bootstrap matches a Python reimplementation (random.Random stream)", () => {
  const one = pairedBootstrap([[1, 0, -1, 2, 0, 3, 1, 0]], { iterations: 200, seed: 7, alpha: 0.05 });
  close(one.diff, 0.75, 1e-12, "diff");
  close(one.ci[0], 0.0, 1e-12, "lo");
  close(one.ci[1], 1.5, 1e-12, "hi");
  close(one.pValue, 0.07, 1e-12, "p");
  close(one.se, 0.41684648548633774, 1e-9, "se");

  const strat = pairedBootstrap(
    [
      [1, 0, -1, 2, 0, 3, 1, 0],
      [0, 0, 1, -1, 1],
    ],
    { iterations: 300, seed: 42, alpha: 0.1 },
  );
  close(strat.diff, 0.475, 1e-12, "diff");
  close(strat.ci[0], 0.0, 1e-12, "lo");
  close(strat.ci[1], 0.9, 1e-12, "hi");
  close(strat.pValue, 0.10666666666666667, 1e-12, "p");
  close(strat.se, 0.2669144623243218, 1e-9, "se");

  const frac = pairedBootstrap([[0.5, -0.25, 0.0, 0.75, -0.5, 0.25]], { iterations: 1000, seed: 1234, alpha: 0.05 });
  close(frac.diff, 0.125, 1e-12, "diff");
  close(frac.ci[0], -0.25, 1e-12, "lo");
  close(frac.ci[1], 0.4583333333333333, 1e-9, "hi");
  close(frac.pValue, 0.588, 1e-12, "p");
});

test("paired bootstrap: same seed, same answer; no difference gives p = 1", () => {
  const a = pairedBootstrap([[0.2, -0.1, 0.4, 0, 0.3]], { iterations: 500, seed: 3, alpha: 0.05 });
  const b = pairedBootstrap([[0.2, -0.1, 0.4, 0, 0.3]], { iterations: 500, seed: 3, alpha: 0.05 });
  const { intervalAt: ia, pBelow: ba, pAbove: aa, ...pa } = a;
  const { intervalAt: ib, pBelow: bb, pAbove: ab, ...pb } = b;
  assert.deepEqual(pa, pb);
  assert.deepEqual(ia(0.01), ib(0.01));
  assert.equal(ba(0.1), bb(0.1));
  assert.equal(aa(0.1), ab(0.1));
  const zero = pairedBootstrap([[0, 0, 0]], { iterations: 50, seed: 1, alpha: 0.05 });
  assert.equal(zero.pValue, 1);
  assert.deepEqual(zero.ci, [0, 0]);
});
