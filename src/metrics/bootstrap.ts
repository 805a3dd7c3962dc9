// rouge-score `scoring.BootstrapAggregator().aggregate()["rouge2"].mid` (defaults: 1000 samples,
// 95% interval), the value XLSum-ja reports (×100). Spec §3.6 / §6.2.
//
//   for i in range(n_samples):
//       sample_idx = np.random.choice(np.arange(n), size=n)   # one draw shared by P, R and F
//       sample_mean[i, :] = np.mean(matrix[sample_idx, :], axis=0)
//   np.percentile(sample_mean, [2.5, 50, 97.5], axis=0)        # "mid" is the 50th percentile
//
// np.mean over axis 0 of the (n, 3) float64 matrix adds the rows in order (no pairwise summation
// along that axis), then divides by n. np.percentile's default "linear" method (numpy >= 1.22)
// interpolates with `_lerp`, which for a weight t >= 0.5 computes b - (b - a) * (1 - t).

import type { NumpyLegacyRandom } from "../random/numpyLegacy.js";
import type { PRF } from "./rouge.js";

/** numpy >= 1.22 `_lerp(a, b, t)`. */
function numpyLerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * `np.percentile(values, q)` with the default linear method on a copy of `values`
 * (q in [0, 100]; the array must be non-empty and NaN-free).
 */
export function numpyPercentileLinear(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("numpyPercentileLinear: empty input");
  if (!(q >= 0 && q <= 100)) throw new RangeError(`numpyPercentileLinear: q must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  // numpy: virtual index = (q / 100) * (n - 1), then floor / +1 clipped to the last element.
  const virtualIndex = (q / 100) * (n - 1);
  const below = Math.floor(virtualIndex);
  const above = Math.min(below + 1, n - 1);
  const t = virtualIndex - below;
  return numpyLerp(sorted[below]!, sorted[above]!, t);
}

/**
 * The bootstrap "mid" of per-document ROUGE rows. `rows` must be in the order the harness added
 * them (seed-42 shuffled doc order) and `rng` must be the run's `np.random.seed(1234)` stream,
 * positioned where the reference would be (XLSum is its only consumer).
 */
export function rougeBootstrapMid(rows: readonly PRF[], rng: NumpyLegacyRandom, samples = 1000): PRF {
  const n = rows.length;
  if (n === 0) {
    // np.vstack(()) raises in the reference; there is nothing to aggregate.
    throw new RangeError("rougeBootstrapMid: no rows to aggregate");
  }
  if (!Number.isInteger(samples) || samples <= 0) {
    throw new RangeError(`rougeBootstrapMid: n_samples must be positive, got ${samples}`);
  }
  const precisionMeans = new Array<number>(samples);
  const recallMeans = new Array<number>(samples);
  const fmeasureMeans = new Array<number>(samples);
  for (let i = 0; i < samples; i++) {
    const idx = rng.choiceIndices(n, n);
    let p = 0;
    let r = 0;
    let f = 0;
    for (const j of idx) {
      const row = rows[j]!;
      p += row.precision;
      r += row.recall;
      f += row.fmeasure;
    }
    precisionMeans[i] = p / n;
    recallMeans[i] = r / n;
    fmeasureMeans[i] = f / n;
  }
  return {
    precision: numpyPercentileLinear(precisionMeans, 50),
    recall: numpyPercentileLinear(recallMeans, 50),
    fmeasure: numpyPercentileLinear(fmeasureMeans, 50),
  };
}
