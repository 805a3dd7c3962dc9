// Per-document values: rouge-score `_create_ngrams` / `_score_ngrams` / `scoring.fmeasure`
// (read in google-research/rouge), evaluated with CPython 3.11.7 on the same token lists.
// Bootstrap values: rouge-score's `_bootstrap_resample` loop run with numpy 2.4.6 after
// `np.random.seed(1234)` on the rows built by `syntheticRows` below (same formula in Python).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmeasure, rouge2, type PRF } from "../src/metrics/rouge.js";
import { numpyPercentileLinear, rougeBootstrapMid } from "../src/metrics/bootstrap.js";
import { NumpyLegacyRandom } from "../src/random/numpyLegacy.js";

const prf = (precision: number, recall: number, f: number): PRF => ({ precision, recall, fmeasure: f });

test("rouge2: bigram overlap, precision over prediction bigrams, recall over reference bigrams", () => {
  assert.deepEqual(rouge2([..."abcd"], [..."abce"]), prf(0.6666666666666666, 0.6666666666666666, 0.6666666666666666));
  assert.deepEqual(rouge2([..."abcabc"], [..."cabca"]), prf(0.75, 0.6, 0.6666666666666665));
  assert.deepEqual(
    rouge2(["▁東京", "都", "は", "晴れ"], ["東京", "都", "は", "雨"]),
    prf(0.3333333333333333, 0.3333333333333333, 0.3333333333333333),
  );
});

test("rouge2: repeated bigrams are clipped by the smaller count", () => {
  assert.deepEqual(rouge2([..."aaa"], [..."aa"]), prf(1, 0.5, 0.6666666666666666));
});

test("rouge2: no bigrams gives zeros (max(count, 1) denominators, F = 0)", () => {
  assert.deepEqual(rouge2(["a"], ["a"]), prf(0, 0, 0));
  assert.deepEqual(rouge2([], []), prf(0, 0, 0));
  assert.deepEqual(rouge2(["a", "b"], []), prf(0, 0, 0));
});

test("rouge2: token identity is by value and type (1 vs '1' differ, like Python tuples)", () => {
  assert.deepEqual(rouge2([1, 2], ["1", "2"]), prf(0, 0, 0));
  assert.deepEqual(rouge2([1, 2, 3], [1, 2, 3]), prf(1, 1, 1));
});

test("fmeasure: 2*P*R/(P+R) or 0", () => {
  assert.equal(fmeasure(0, 0), 0);
  assert.equal(fmeasure(1, 1), 1);
  assert.equal(fmeasure(0.75, 0.6), 0.6666666666666665);
});

test("numpyPercentileLinear: n=1, n=2 by hand, and interpolation weights", () => {
  assert.equal(numpyPercentileLinear([0.3], 50), 0.3);
  // n = 2: index 0.5 → b - (b - a) * 0.5
  assert.equal(numpyPercentileLinear([0.7, 0.1], 50), 0.7 - (0.7 - 0.1) * 0.5);
  assert.equal(numpyPercentileLinear([4, 1, 3, 2], 50), 2.5);
  assert.equal(numpyPercentileLinear([4, 1, 3, 2], 0), 1);
  assert.equal(numpyPercentileLinear([4, 1, 3, 2], 100), 4);
  // index 0.25 * 3 = 0.75 → t >= 0.5 branch: 2 - (2 - 1) * 0.25
  assert.equal(numpyPercentileLinear([1, 2, 3, 4], 25), 1.75);
});

function syntheticRows(n: number): PRF[] {
  const rows: PRF[] = [];
  for (let i = 0; i < n; i++) {
    const p = ((i * 37) % 101) / 101;
    const r = ((i * 53 + 7) % 89) / 89;
    rows.push(prf(p, r, p + r > 0 ? (2 * p * r) / (p + r) : 0));
  }
  return rows;
}

test("rougeBootstrapMid matches numpy: 766 rows then 7 rows on one seed(1234) stream", () => {
  const rng = new NumpyLegacyRandom(1234);
  assert.deepEqual(
    rougeBootstrapMid(syntheticRows(766), rng),
    prf(0.4943385983506968, 0.49423533898553673, 0.4022762861718847),
  );
  assert.deepEqual(
    rougeBootstrapMid(syntheticRows(7), rng),
    prf(0.3847241867043847, 0.43659711075441415, 0.27598023858646326),
  );
});

test("rougeBootstrapMid matches numpy with 5 samples of 2 rows", () => {
  assert.deepEqual(
    rougeBootstrapMid(syntheticRows(2), new NumpyLegacyRandom(1234), 5),
    prf(0.18316831683168316, 0.37640449438202245, 0.2373569977547311),
  );
});

test("rougeBootstrapMid with one row is that row and draws nothing (numpy rng == 0 shortcut)", () => {
  const rng = new NumpyLegacyRandom(1234);
  const row = prf(0.25, 0.5, 1 / 3);
  assert.deepEqual(rougeBootstrapMid([row], rng, 3), row);
  assert.deepEqual(rng.choiceIndices(10, 3), [3, 6, 5]);
});

test("rougeBootstrapMid: the mid lies within the row range and consumes n draws per sample", () => {
  const rows = syntheticRows(10);
  const rng = new NumpyLegacyRandom(1234);
  const mid = rougeBootstrapMid(rows, rng, 4);
  const fs = rows.map((r) => r.fmeasure);
  assert.ok(mid.fmeasure >= Math.min(...fs) && mid.fmeasure <= Math.max(...fs));
  // The same stream after 4 × choice(arange(10), 10) calls made directly:
  const check = new NumpyLegacyRandom(1234);
  for (let i = 0; i < 4; i++) check.choiceIndices(10, 10);
  assert.deepEqual(rng.choiceIndices(10, 10), check.choiceIndices(10, 10));
  assert.throws(() => rougeBootstrapMid([], rng), RangeError);
});
