// Stratified few-shot sampling of Stability-AI jp-stable HEAD (effdbeaf, lm_eval/base.py
// `Task._stratified_fewshot_examples`), used by JNLI 1.3. A port, step by step, because the
// order of the RNG calls decides which shots a doc gets.

import type { PyRandom } from "../../random/pyRandom.js";

/**
 * Picks `k` docs from `pool` in proportion to their labels, then shuffles them.
 *
 * The reference, in order:
 * 1. groups the pool by `doc_to_target(doc)` into a dict, so strata are visited in the order
 *    their label first appears in the pool (here: `labelOf`, a one-to-one stand-in for the
 *    target string);
 * 2. `ratio = len(stratum) / len(pool)` and `count = int(ratio * k)` (float product, truncated);
 * 3. while `k - sum(counts) > 0`: add one to `min(counts, key=counts.get)`, i.e. the first stratum
 *    (in dict order) holding the smallest count, recomputed after every increment;
 * 4. for each stratum in dict order: `samples.extend(rnd.sample(stratum_docs, count))`
 *    (a count of 0 draws nothing from the RNG);
 * 5. `rnd.shuffle(samples)`.
 */
export function stratifiedSample<Doc>(rnd: PyRandom, pool: readonly Doc[], k: number, labelOf: (doc: Doc) => number): Doc[] {
  // Map keeps insertion order, as a Python dict does.
  const strata = new Map<number, Doc[]>();
  for (const doc of pool) {
    const label = labelOf(doc);
    const docs = strata.get(label);
    if (docs) docs.push(doc);
    else strata.set(label, [doc]);
  }

  const counts = new Map<number, number>();
  for (const [label, docs] of strata) counts.set(label, Math.trunc((docs.length / pool.length) * k));

  let assigned = 0;
  for (const c of counts.values()) assigned += c;
  for (let remaining = k - assigned; remaining > 0; remaining--) {
    let minLabel: number | undefined;
    let minCount = Infinity;
    for (const [label, c] of counts) {
      // Strict "<": Python's min() keeps the first of equal keys.
      if (c < minCount) {
        minCount = c;
        minLabel = label;
      }
    }
    // Python's min() of an empty dict raises ValueError here.
    if (minLabel === undefined) throw new RangeError(`cannot draw ${k} stratified shots from an empty pool`);
    counts.set(minLabel, minCount + 1);
  }

  const samples: Doc[] = [];
  for (const [label, count] of counts) samples.push(...rnd.sample(strata.get(label)!, count));
  rnd.shuffle(samples);
  return samples;
}
