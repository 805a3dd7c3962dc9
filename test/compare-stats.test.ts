import { test } from "node:test";
import assert from "node:assert/strict";
import {
  mcnemarExactP,
  meanOfIndependentDifferences,
  normalQuantile,
  normalTwoSidedP,
  pairedBootstrap,
  pairedProportionDifference,
  quantileSorted,
  twoProportionDifference,
  zForAlpha,
} from "../src/compare/stats.js";

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

test("paired difference of proportions: Wald interval by hand, McNemar p", () => {
  // b = 0 new-only, c = 10 baseline-only of n = 100: diff = -0.1,
  // se = sqrt(10 - 100/100) / 100 = 0.03
  const e = pairedProportionDifference(0, 10, 100, 0.05);
  close(e.diff, -0.1, 1e-12, "diff");
  close(e.se, 0.03, 1e-12, "se");
  close(e.ci[0], -0.1 - 1.959963984540054 * 0.03, 1e-8, "lo");
  close(e.ci[1], -0.1 + 1.959963984540054 * 0.03, 1e-8, "hi");
  close(e.pValue, 2 / 1024, 1e-12, "p");
});

test("two-proportion z-test (scipy: pooled z for p, unpooled Wald interval)", () => {
  // 50.00% of 2434 vs the paper's JNLI 48.69% of 2434
  const e = twoProportionDifference(0.5, 2434, 0.4869, 2434, 0.05);
  close(e.diff, 0.0131, 1e-9, "diff");
  close(e.pValue, 0.3606752071742507, 1e-6, "p");
  close(e.ci[0] * 100, -1.498654146860309, 1e-6, "lo");
  close(e.ci[1] * 100, 4.118654146860309, 1e-6, "hi");
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
// stratum, n draws of s[rnd._randbelow(n)] summed left to right; numpy.percentile for the
// interval; p = (1 + #{|t - obs| >= |obs|}) / (B + 1); np.std(ddof=1) for se.
test("paired bootstrap matches a Python reimplementation (random.Random stream)", () => {
  const one = pairedBootstrap([[1, 0, -1, 2, 0, 3, 1, 0]], { iterations: 200, seed: 7, alpha: 0.05 });
  close(one.diff, 0.75, 1e-12, "diff");
  close(one.ci[0], 0.0, 1e-12, "lo");
  close(one.ci[1], 1.5, 1e-12, "hi");
  close(one.pValue, 0.0845771144278607, 1e-12, "p");
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
  close(strat.ci[1], 0.888125, 1e-12, "hi");
  close(strat.pValue, 0.09302325581395349, 1e-12, "p");
  close(strat.se, 0.2669144623243218, 1e-9, "se");

  const frac = pairedBootstrap([[0.5, -0.25, 0.0, 0.75, -0.5, 0.25]], { iterations: 1000, seed: 1234, alpha: 0.05 });
  close(frac.diff, 0.125, 1e-12, "diff");
  close(frac.ci[0], -0.25, 1e-12, "lo");
  close(frac.ci[1], 0.4583333333333333, 1e-9, "hi");
  close(frac.pValue, 0.5644355644355644, 1e-12, "p");
});

test("paired bootstrap: same seed, same answer; no difference gives p = 1", () => {
  const a = pairedBootstrap([[0.2, -0.1, 0.4, 0, 0.3]], { iterations: 500, seed: 3, alpha: 0.05 });
  const b = pairedBootstrap([[0.2, -0.1, 0.4, 0, 0.3]], { iterations: 500, seed: 3, alpha: 0.05 });
  assert.deepEqual(a, b);
  const zero = pairedBootstrap([[0, 0, 0]], { iterations: 50, seed: 1, alpha: 0.05 });
  assert.equal(zero.pValue, 1);
  assert.deepEqual(zero.ci, [0, 0]);
});
