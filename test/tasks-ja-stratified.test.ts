import { test } from "node:test";
import assert from "node:assert/strict";
import { PyRandom } from "../src/random/pyRandom.js";
import { stratifiedSample } from "../src/tasks/ja/stratified.js";

// Expected picks were computed with CPython 3.11.7's `random.Random` running a verbatim copy of
// jp-stable HEAD `Task._stratified_fewshot_examples` (lm_eval/base.py @effdbeaf), not with this code.
// The per-label counts were also worked out by hand (comments below).

test("stratified sampling: counts from int(ratio*k), remainder to the smallest count, then a shuffle", () => {
  // Labels in first-appearance order 2, 0, 1; strata 2:[0,3,7], 0:[1,2,5,6,8,9], 1:[4].
  // k=4: int(0.3*4)=1, int(0.6*4)=2, int(0.1*4)=0; one left goes to label 1 (count 0).
  const labels = [2, 0, 0, 2, 1, 0, 0, 2, 0, 0];
  const pool = labels.map((_, i) => i);
  const rnd = new PyRandom(42);
  assert.deepEqual(stratifiedSample(rnd, pool, 4, (d) => labels[d]!), [4, 9, 7, 1]);
  // The RNG carries on: the next doc's draw from the same generator.
  assert.deepEqual(stratifiedSample(rnd, pool, 4, (d) => labels[d]!), [1, 8, 7, 4]);
});

test("stratified sampling: remainder ties go to the label seen first, recomputed after each increment", () => {
  // Three labels of 3 docs each, first seen in the order 1, 0, 2; k=5: int(5/3)=1 each,
  // remainder 2: label 1 (first of the 1s) -> 2, then label 0 (first of the remaining 1s) -> 2.
  const labels = [1, 0, 2, 1, 0, 2, 1, 0, 2];
  const pool = labels.map((_, i) => i);
  const picked = stratifiedSample(new PyRandom(7), pool, 5, (d) => labels[d]!);
  assert.deepEqual(picked, [4, 1, 0, 3, 2]);
  const perLabel = [0, 0, 0];
  for (const d of picked) perLabel[labels[d]!]!++;
  assert.deepEqual(perLabel, [2, 2, 1]);
});

test("stratified sampling of an empty pool fails as Python's min() of an empty dict does", () => {
  assert.throws(() => stratifiedSample(new PyRandom(1), [] as number[], 3, () => 0), RangeError);
});
